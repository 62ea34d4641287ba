# frozen_string_literal: true

# Loads and runs a Lambda Ruby handler, as AWS's Ruby runtime does: `file.method` (a top-level
# `def handler(event:, context:)` in file.rb) or `file.Module::Class.method` (a class method), the
# file required from the task root. Errors take Lambda's shape {errorMessage, errorType, stackTrace}
# with its types: `Init<LoadError>`, `Init<SyntaxError>`... for what fails while loading, and
# `Function<TypeError>`... for what a handler raises. A missing method or class is reported at init
# (`Init<NoMethodError>`, `Init<NameError>`), where AWS only finds it on the first invocation.
require "json"
require_relative "context"
require_relative "log_capture"

module HotSwap
  # A failure that ends the instance before it serves anything.
  class InitFailure < StandardError
    attr_reader :error_type, :stack

    def initialize(error_type, message, stack = [])
      super(message)
      @error_type = error_type
      @stack = stack
    end

    def self.from(error)
      new("Init<#{error.class}>", error.message, Handler.user_stack(error))
    end

    def payload
      { errorMessage: message, errorType: error_type, stackTrace: stack }
    end
  end

  # The event cannot become a Ruby value: the invocation fails, the instance lives on.
  class UnmarshalError < StandardError
    def payload
      JSON.generate({ errorMessage: message, errorType: "Runtime.UnmarshalError", stackTrace: [] })
    end
  end

  # A loaded handler: what to call and how.
  class Handler
    BOOTSTRAP_DIR = File.expand_path("..", __dir__)
    SHAPE = "expected FILENAME.METHOD or FILENAME.CLASS.METHOD, for example 'function.handler' " \
            "(def handler(event:, context:) in function.rb)"

    # Stack lines ("/var/task/function.rb:3:in `handler'") without the bootstrap's own frames.
    def self.user_stack(error)
      (error.backtrace || []).reject { |line| line.start_with?(BOOTSTRAP_DIR) }
    end

    def self.load(task_root, name)
      parts = name.to_s.split(".")
      raise InitFailure.new("Init<ArgumentError>", "Invalid handler #{name.inspect}: #{SHAPE}") unless [2, 3].include?(parts.size) && parts.none?(&:empty?)

      file, klass, method = parts.size == 2 ? [parts[0], nil, parts[1]] : parts
      add_load_paths(task_root)
      begin
        require File.expand_path(file, task_root)
      rescue ScriptError, StandardError => e
        raise InitFailure.from(e)
      end
      new(klass ? resolve_class(klass) : nil, method)
    end

    # The function's own directory and lib/ come first, and gems vendored with `bundle install
    # --path vendor/bundle` (or `bundle config set path vendor/bundle`) are found, as on AWS.
    def self.add_load_paths(task_root)
      [File.join(task_root, "lib"), task_root].each { |dir| $LOAD_PATH.unshift(dir) unless $LOAD_PATH.include?(dir) }
      vendored = File.join(task_root, "vendor", "bundle", "ruby", "#{RbConfig::CONFIG['ruby_version']}")
      Gem.paths = { "GEM_PATH" => [vendored, *Gem.path].join(File::PATH_SEPARATOR) } if defined?(Gem) && File.directory?(vendored)
    end

    def self.resolve_class(klass)
      Object.const_get(klass)
    rescue NameError => e
      raise InitFailure.new("Init<NameError>", e.message, user_stack(e))
    end

    def initialize(target, method)
      @target = target
      @method = method.to_sym
      receiver = target || TOPLEVEL_BINDING.receiver
      return if receiver.respond_to?(@method, true)

      where = target ? target.to_s : "main:Object (a top-level def in the handler's file)"
      raise InitFailure.new("Init<NoMethodError>", "undefined method `#{method}' for #{where}")
    end

    # Runs one invocation; [ok, JSON text of the result or of the error].
    def call(event, context)
      result = LogCapture.call(context.aws_request_id) do
        if @target
          @target.public_send(@method, event: event, context: context)
        else
          TOPLEVEL_BINDING.receiver.__send__(@method, event: event, context: context)
        end
      end
      # AWS's Ruby runtime answers response.to_json, so a result's own to_json is honoured.
      [true, result.to_json]
    rescue SystemExit, SignalException
      raise
    rescue Exception => e # rubocop:disable Lint/RescueException -- ScriptError and NoMemoryError are the function's errors too
      [false, JSON.generate({ errorMessage: e.message, errorType: "Function<#{e.class}>", stackTrace: Handler.user_stack(e) })]
    end

    # The event as a Ruby value ({} for an empty body), or UnmarshalError.
    def self.parse_event(body)
      return {} if body.nil? || body.empty?

      JSON.parse(body.dup.force_encoding(Encoding::UTF_8))
    rescue JSON::NestingError
      raise UnmarshalError, "The event is nested too deeply to unmarshal (more than 100 levels); send a flatter event"
    rescue JSON::ParserError, EncodingError => e
      raise UnmarshalError, "The event is not valid JSON: #{e.message}"
    end
  end
end
