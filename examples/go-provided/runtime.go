// A minimal client of the AWS Lambda Runtime API, standard library only: what aws-lambda-go's
// lambda.Start does, small enough to read. It asks GET /2018-06-01/runtime/invocation/next for an
// event, runs the handler with a context that carries the invocation's deadline, and answers
// POST .../invocation/<id>/response or .../error; a failure before the first event is reported to
// .../init/error. HotSwap's `provided` runtime (like Lambda's provided.al2023) runs the zip's
// `bootstrap` with AWS_LAMBDA_RUNTIME_API set, so aws-lambda-go programs run unchanged too.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"time"
)

const apiPrefix = "/2018-06-01/runtime"

// Invocation is what the Runtime API says about one event, besides the event itself.
type Invocation struct {
	RequestID          string
	InvokedFunctionArn string
	Deadline           time.Time
	TraceID            string
}

type invocationKey struct{}

// InvocationFrom returns the invocation a handler's context belongs to (aws-lambda-go: lambdacontext.FromContext).
func InvocationFrom(ctx context.Context) (Invocation, bool) {
	inv, ok := ctx.Value(invocationKey{}).(Invocation)
	return inv, ok
}

// Handler runs one event (its raw JSON) and returns the response document.
type Handler func(ctx context.Context, event json.RawMessage) (any, error)

// errorDocument is the shape Lambda expects on /error and /init/error.
type errorDocument struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	StackTrace   []string `json:"stackTrace,omitempty"`
}

// errorType names an error by its Go type without the pointer, as aws-lambda-go does ("errorString").
func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	return t.Name()
}

type runtimeAPI struct {
	base   string
	client *http.Client
}

func newRuntimeAPI() (*runtimeAPI, error) {
	addr := os.Getenv("AWS_LAMBDA_RUNTIME_API")
	if addr == "" {
		return nil, fmt.Errorf("AWS_LAMBDA_RUNTIME_API is not set: run this as a Lambda custom runtime (provided)")
	}
	// No client timeout: /next blocks until there is an event, however long that takes.
	return &runtimeAPI{base: "http://" + addr + apiPrefix, client: &http.Client{}}, nil
}

func (r *runtimeAPI) post(path string, body []byte, errType string) error {
	req, err := http.NewRequest(http.MethodPost, r.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if errType != "" {
		req.Header.Set("Lambda-Runtime-Function-Error-Type", errType)
	}
	res, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("POST %s answered %s", path, res.Status)
	}
	return nil
}

func (r *runtimeAPI) next() (Invocation, []byte, error) {
	res, err := r.client.Get(r.base + "/invocation/next")
	if err != nil {
		return Invocation{}, nil, err
	}
	defer res.Body.Close()
	event, err := io.ReadAll(res.Body)
	if err != nil {
		return Invocation{}, nil, err
	}
	if res.StatusCode != http.StatusOK {
		return Invocation{}, nil, fmt.Errorf("GET /invocation/next answered %s: %s", res.Status, event)
	}
	ms, _ := strconv.ParseInt(res.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
	return Invocation{
		RequestID:          res.Header.Get("Lambda-Runtime-Aws-Request-Id"),
		InvokedFunctionArn: res.Header.Get("Lambda-Runtime-Invoked-Function-Arn"),
		Deadline:           time.UnixMilli(ms),
		TraceID:            res.Header.Get("Lambda-Runtime-Trace-Id"),
	}, event, nil
}

// FailInit reports an initialisation error to the Runtime API and exits, as Lambda expects of a
// runtime that cannot start (the invocation that caused the start fails with this error).
func FailInit(err error) {
	doc, _ := json.Marshal(errorDocument{ErrorMessage: err.Error(), ErrorType: errorType(err)})
	if api, apiErr := newRuntimeAPI(); apiErr == nil {
		_ = api.post("/init/error", doc, "Runtime."+errorType(err))
	}
	fmt.Fprintln(os.Stderr, "init failed:", err)
	os.Exit(1)
}

// Start serves events with handler until the process is stopped (aws-lambda-go: lambda.Start).
func Start(handler Handler) {
	api, err := newRuntimeAPI()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for {
		inv, event, err := api.next()
		if err != nil {
			fmt.Fprintln(os.Stderr, "runtime API:", err)
			os.Exit(1)
		}
		if inv.TraceID != "" {
			os.Setenv("_X_AMZN_TRACE_ID", inv.TraceID)
		}
		ctx, cancel := context.WithDeadline(context.WithValue(context.Background(), invocationKey{}, inv), inv.Deadline)
		result, herr := handler(ctx, event)
		cancel()
		var path, errType string
		var body []byte
		if herr != nil {
			path, errType = "/invocation/"+inv.RequestID+"/error", "Function."+errorType(herr)
			body, _ = json.Marshal(errorDocument{ErrorMessage: herr.Error(), ErrorType: errorType(herr)})
		} else if body, err = json.Marshal(result); err != nil {
			path, errType = "/invocation/"+inv.RequestID+"/error", "Runtime.MarshalError"
			body, _ = json.Marshal(errorDocument{ErrorMessage: err.Error(), ErrorType: "Runtime.MarshalError"})
		} else {
			path = "/invocation/" + inv.RequestID + "/response"
		}
		if err := api.post(path, body, errType); err != nil {
			fmt.Fprintln(os.Stderr, "runtime API:", err)
			os.Exit(1)
		}
	}
}
