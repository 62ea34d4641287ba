# frozen_string_literal: true

# The AWS Lambda Runtime API side of the Ruby bootstrap: load the handler from _HANDLER (posting
# /init/error on failure), then loop GET /invocation/next → POST .../response or .../error, one
# loop per HOTSWAP_CONCURRENCY (AWS_LAMBDA_MAX_CONCURRENCY), each with its keep-alive connection.
require "json"
require "net/http"
require_relative "exit"
require_relative "handler"
require_relative "trace"

module HotSwap
  API = "/2018-06-01/runtime"

  # One keep-alive HTTP connection to the Runtime API.
  class RuntimeApiClient
    def initialize(address)
      host, _, port = address.rpartition(":")
      @http = Net::HTTP.new(host.delete("[]"), port.to_i)
      @http.read_timeout = nil # /next waits as long as there is nothing to run
      @http.keep_alive_timeout = 3600
    end

    def call(request)
      2.times do |attempt|
        @http.start unless @http.started?
        begin
          return @http.request(request)
        rescue EOFError, Errno::ECONNRESET, Errno::EPIPE
          # A keep-alive connection closed under us: reconnect once.
          @http.finish if @http.started?
          raise if attempt == 1
        end
      end
    end

    def next_invocation
      call(Net::HTTP::Get.new("#{API}/invocation/next"))
    end

    def post(path, body, error_type = nil)
      req = Net::HTTP::Post.new("#{API}#{path}", "Content-Type" => "application/json")
      req["Lambda-Runtime-Function-Error-Type"] = error_type if error_type
      req.body = body
      call(req)
    end
  end

  # Serves the Runtime API at `address` until the process is stopped.
  class RuntimeApiServer
    def initialize(address, env = ENV)
      @address = address
      @env = env
      @concurrency = [(env["HOTSWAP_CONCURRENCY"] || env["AWS_LAMBDA_MAX_CONCURRENCY"]).to_i, 1].max
    end

    def run
      handler = load_handler
      info = FunctionInfo.new(@env)
      (@concurrency - 1).times { Thread.new { serve(handler, info) } }
      serve(handler, info)
    end

    private

    def load_handler
      task_root = @env["LAMBDA_TASK_ROOT"] || Dir.pwd
      raise InitFailure.new("Init<ArgumentError>", "_HANDLER is not set") if @env["_HANDLER"].to_s.empty?

      Dir.chdir(task_root)
      Handler.load(task_root, @env["_HANDLER"])
    rescue InitFailure, SystemCallError, ScriptError, StandardError, SystemExit => e
      failure = e.is_a?(InitFailure) ? e : InitFailure.from(e)
      begin
        RuntimeApiClient.new(@address).post("/init/error", JSON.generate(failure.payload), failure.error_type)
      rescue SystemCallError, IOError
        nil
      end
      HotSwap.exit_now(1)
    end

    def serve(handler, info)
      client = RuntimeApiClient.new(@address)
      loop do
        res = client.next_invocation
        unless res.code == "200"
          STDERR.write("hotswap bootstrap: /next answered #{res.code}: #{res.body.to_s[0, 200].inspect}\n")
          HotSwap.exit_now(1)
        end
        id = res["Lambda-Runtime-Aws-Request-Id"].to_s
        begin
          event = Handler.parse_event(res.body)
        rescue UnmarshalError => e
          client.post("/invocation/#{id}/error", e.payload, "Runtime.UnmarshalError")
          next
        end
        Trace.enter(res["traceparent"], res["Lambda-Runtime-Trace-Id"], @concurrency)
        context = LambdaContext.new(info, request_id: id,
                                          deadline_ms: res["Lambda-Runtime-Deadline-Ms"] || (Time.now.to_f * 1000).to_i + 3000,
                                          arn: res["Lambda-Runtime-Invoked-Function-Arn"],
                                          identity: json_header(res["Lambda-Runtime-Cognito-Identity"]),
                                          client_context: json_header(res["Lambda-Runtime-Client-Context"]))
        ok, out = begin
          handler.call(event, context)
        rescue SystemExit => e
          HotSwap.exit_now(e.status)
        end
        ok ? client.post("/invocation/#{id}/response", out) : client.post("/invocation/#{id}/error", out, "Unhandled")
      end
    rescue SystemCallError, IOError => e
      STDERR.write("hotswap bootstrap: the Runtime API at #{@address} is unreachable (#{e.message}); exiting\n")
      HotSwap.exit_now(1)
    end

    def json_header(value)
      value && !value.empty? ? JSON.parse(value.dup.force_encoding(Encoding::UTF_8)) : nil
    rescue JSON::ParserError
      nil
    end
  end
end
