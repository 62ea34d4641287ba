# frozen_string_literal: true

# The fast channel's instance side (runtimes/PROTOCOL.md): say hello, wait for init, load the
# handler, then answer every invoke frame with exactly one result or error frame. With
# `concurrency` above 1, invocations run on that many worker threads; otherwise on the main thread.
require "base64"
require "json"
require_relative "exit"
require_relative "frame"
require_relative "handler"
require_relative "trace"

module HotSwap
  # One framed stream to the runner; sends are serialised by a lock (worker threads reply at once).
  class FastChannel
    def initialize(sock)
      @sock = sock
      @sock.binmode
      @sock.sync = true
      @lock = Mutex.new
    end

    def send_frame(header, body = "")
      data = Frame.encode(header, body)
      @lock.synchronize { @sock.write(data) }
    end

    # Next [header, body], or nil when the runner closed the channel.
    def read
      Frame.read(@sock)
    end

    # `exiting`, if the channel is free (a send may be in progress on the thread that is leaving).
    def say_exiting
      return unless @lock.try_lock

      begin
        @sock.write(Frame.encode('{"type":"exiting"}'))
      rescue StandardError
        nil
      ensure
        @lock.unlock
      end
    end
  end

  # Serves one fast channel until it closes.
  class FastServer
    def initialize(chan, token = nil)
      @chan = chan
      @token = token
      @handler = nil
      @info = nil
      @concurrency = 1
      @work = nil
    end

    def run
      HotSwap.announce_exit = -> { @chan.say_exiting }
      hello = { type: "hello", runtime: "ruby", version: RUBY_VERSION, pid: Process.pid }
      hello[:token] = @token if @token
      @chan.send_frame(JSON.generate(hello))
      loop do
        frame = begin
          @chan.read
        rescue Frame::FrameError => e
          # A corrupt or oversized frame cannot be skipped: say why and leave; the runner sees the close.
          STDERR.write("hotswap bootstrap: #{e.message}; closing the channel\n")
          HotSwap.exit_now(1)
        end
        HotSwap.exit_now(0) if frame.nil?
        header, body = frame
        case header["type"]
        when "invoke"
          @work ? @work.push([header, body]) : guarded(header) { handle(header, body) }
        when "init"
          init(header) if @handler.nil?
        end
        # Unknown types are ignored so a newer runner can add messages.
      end
    end

    private

    def init(h)
      (h["env"] || {}).each { |k, v| ENV[k] = v.to_s }
      ENV["LAMBDA_TASK_ROOT"] = h["taskRoot"]
      ENV["_HANDLER"] = h["handler"]
      ENV["AWS_LAMBDA_FUNCTION_NAME"] = h["functionName"]
      ENV["AWS_LAMBDA_FUNCTION_VERSION"] = h["functionVersion"].to_s
      ENV["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = h["memorySize"].to_s
      ENV["AWS_REGION"] ||= "us-east-1"
      begin
        begin
          Dir.chdir(h["taskRoot"])
        rescue SystemCallError => e
          raise InitFailure.new("Runtime.InvalidTaskRoot", "Cannot use code directory #{h['taskRoot']}: #{e.message}")
        end
        @info = FunctionInfo.new
        @handler = Handler.load(h["taskRoot"], h["handler"])
      rescue InitFailure => f
        init_failed(f)
      rescue SystemExit => e
        init_failed(InitFailure.new("Runtime.ExitError", "the function's code called exit(#{e.status}) while loading"))
      rescue Exception => e # rubocop:disable Lint/RescueException -- anything at all must become an initError
        init_failed(InitFailure.from(e))
      end
      @concurrency = [h["concurrency"].to_i, 1].max
      start_workers if @concurrency > 1
      @chan.send_frame('{"type":"ready"}')
    end

    def init_failed(failure)
      @chan.send_frame('{"type":"initError"}', JSON.generate(failure.payload))
      HotSwap.exit_now(1)
    end

    def start_workers
      @work = Queue.new
      @concurrency.times do
        Thread.new do
          loop do
            header, body = @work.pop
            guarded(header) { handle(header, body) }
          end
        end
      end
    end

    def handle(header, body)
      id = header["id"].to_s
      return reply("error", id, JSON.generate(NOT_INITIALIZED)) if @handler.nil?

      event = begin
        Handler.parse_event(body)
      rescue UnmarshalError => e
        return reply("error", id, e.payload)
      end
      Trace.enter(header["traceparent"], nil, @concurrency)
      context = LambdaContext.new(@info, request_id: id, deadline_ms: header["deadline"],
                                         arn: @info.qualified_arn(header["qualifier"]),
                                         client_context: decode_client_context(header["clientContext"]))
      ok, out = @handler.call(event, context)
      reply(ok ? "result" : "error", id, out)
    end

    NOT_INITIALIZED = { errorMessage: "invoke received before a successful init", errorType: "Runtime.NotInitialized", stackTrace: [] }.freeze

    def reply(kind, id, body)
      @chan.send_frame(Frame.reply_header(kind, id), body)
    end

    # A handler's `exit` ends the instance with its status; anything else that escaped (a bug here,
    # never the handler's own errors, which Handler#call answers) answers the invocation.
    def guarded(header)
      yield
    rescue SystemExit => e
      HotSwap.exit_now(e.status)
    rescue StandardError => e
      STDERR.write("hotswap bootstrap: unexpected #{e.class}: #{e.message}\n")
      begin
        reply("error", header["id"].to_s, JSON.generate({ errorMessage: "#{e.class}: #{e.message}", errorType: "Runtime.Unknown", stackTrace: [] }))
      rescue SystemCallError, IOError
        HotSwap.exit_now(1)
      end
    end

    def decode_client_context(b64)
      return nil unless b64

      JSON.parse(Base64.decode64(b64))
    rescue StandardError
      nil
    end
  end
end
