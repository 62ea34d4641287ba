// An example Go function for HotSwap's `provided` runtime, standard library only. Build it into an
// executable named bootstrap, zip it, and deploy it with runtime "provided" (see README.md).
//
//	{"name": "Ada"}       → {"greeting": "Hello, Ada!", "requestId": ..., "function": ..., "remainingMs": ...}
//	{"fail": "why"}       → a function error {"errorMessage": "why", "errorType": "ValidationError"}
//	{"sleepMs": 5000}     → sleeps that long (past the function's timeout, the platform stops it)
//
// With REQUIRE_GREETING=1 and no GREETING in its environment it fails its initialisation, the way
// a function whose configuration is missing should.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// ValidationError is the error a caller's bad input gets; its type name is the errorType.
type ValidationError struct{ Reason string }

func (e *ValidationError) Error() string { return e.Reason }

// ConfigError is an initialisation failure: a setting the function cannot run without.
type ConfigError struct{ Setting string }

func (e *ConfigError) Error() string { return e.Setting + " is not set" }

type request struct {
	Name    string `json:"name"`
	Fail    string `json:"fail"`
	SleepMs int    `json:"sleepMs"`
}

type response struct {
	Greeting    string `json:"greeting"`
	RequestID   string `json:"requestId"`
	Function    string `json:"function"`
	RemainingMs int64  `json:"remainingMs"`
}

func main() {
	greeting := os.Getenv("GREETING")
	if greeting == "" && os.Getenv("REQUIRE_GREETING") == "1" {
		FailInit(&ConfigError{Setting: "GREETING"})
	}
	if greeting == "" {
		greeting = "Hello"
	}
	Start(func(ctx context.Context, raw json.RawMessage) (any, error) {
		var req request
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, &ValidationError{Reason: "the event is not a JSON object: " + err.Error()}
		}
		inv, _ := InvocationFrom(ctx)
		// Function output goes to the function's log, attributed to this invocation.
		fmt.Printf("handling %s for %q\n", inv.RequestID, req.Name)
		if req.Fail != "" {
			return nil, &ValidationError{Reason: req.Fail}
		}
		time.Sleep(time.Duration(req.SleepMs) * time.Millisecond)
		name := req.Name
		if name == "" {
			name = "world"
		}
		return response{
			Greeting:    fmt.Sprintf("%s, %s!", greeting, name),
			RequestID:   inv.RequestID,
			Function:    os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
			RemainingMs: time.Until(inv.Deadline).Milliseconds(),
		}, nil
	})
}
