# frozen_string_literal: true

# The `context` a Ruby handler gets, with the readers and the method AWS's Ruby runtime
# (LambdaContext) provides: aws_request_id, function_name, function_version, invoked_function_arn,
# memory_limit_in_mb (a String, as on AWS), log_group_name, log_stream_name, deadline_ms, identity,
# client_context (Hashes, or nil) and get_remaining_time_in_millis.
require "securerandom"

module HotSwap
  ACCOUNT_ID = "000000000000"

  # Per-function facts shared by every context, read from the Lambda variables once.
  class FunctionInfo
    attr_reader :name, :version, :memory, :arn, :log_group, :log_stream

    def initialize(env = ENV)
      @name = env.fetch("AWS_LAMBDA_FUNCTION_NAME", "function")
      @version = env.fetch("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
      @memory = env.fetch("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
      region = env.fetch("AWS_REGION", "us-east-1")
      # Unqualified; an invocation through an alias or a version adds ":<qualifier>" (qualified_arn).
      @arn = "arn:aws:lambda:#{region}:#{ACCOUNT_ID}:function:#{@name}"
      @log_group = env.fetch("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/#{@name}")
      @log_stream = env.fetch("AWS_LAMBDA_LOG_STREAM_NAME") { "#{Time.now.utc.strftime('%Y/%m/%d')}/[#{@version}]#{SecureRandom.hex(16)}" }
    end

    def qualified_arn(qualifier)
      qualifier ? "#{@arn}:#{qualifier}" : nil
    end
  end

  class LambdaContext
    attr_reader :aws_request_id, :invoked_function_arn, :log_group_name, :log_stream_name, :function_name,
                :memory_limit_in_mb, :function_version, :identity, :client_context, :deadline_ms

    def initialize(info, request_id:, deadline_ms:, arn: nil, identity: nil, client_context: nil)
      @aws_request_id = request_id
      @function_name = info.name
      @function_version = info.version
      @invoked_function_arn = arn || info.arn
      @memory_limit_in_mb = info.memory
      @log_group_name = info.log_group
      @log_stream_name = info.log_stream
      @deadline_ms = deadline_ms.to_i
      @identity = identity
      @client_context = client_context
    end

    def get_remaining_time_in_millis # rubocop:disable Naming/AccessorMethodName -- AWS's name
      remaining = @deadline_ms - Process.clock_gettime(Process::CLOCK_REALTIME, :millisecond)
      remaining.positive? ? remaining : 0
    end
  end
end
