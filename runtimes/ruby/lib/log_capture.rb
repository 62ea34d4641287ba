# frozen_string_literal: true

# Tags every line a handler writes with its invocation's request id, "\x1e<requestId>\x1f<line>"
# (protocol/function-logs.ts), so the runner attributes each line to the right invocation even when
# several run at once on worker threads. $stdout and $stderr are replaced by TaggedStream, which
# covers puts, print, printf, p, warn and Loggers made on them. A line is written whole once it
# ends (partial writes of concurrent invocations never mix); a multi-line write becomes one tagged
# line per line; the unfinished last line is written when the invocation ends, before its result.
# Writes outside an invocation (or straight to STDOUT) pass through untouched.
require "stringio"

module HotSwap
  module LogCapture
    TAG_START = "\x1e"
    TAG_END = "\x1f"
    KEY = :__hotswap_request_log

    # What one invocation has written but not yet ended with a newline, per stream.
    class RequestLog
      attr_reader :prefix, :pending
      attr_accessor :ended

      def initialize(request_id)
        @prefix = "#{TAG_START}#{request_id}#{TAG_END}".b
        @pending = { out: +"".b, err: +"".b }
        @ended = false
      end
    end

    # An IO-like stream that writes the current invocation's lines whole and tagged.
    class TaggedStream
      def initialize(raw, slot)
        @raw = raw
        @slot = slot
        @lock = Mutex.new
      end

      attr_reader :raw

      def write(*parts)
        text = parts.map(&:to_s).join.b
        log = Thread.current.thread_variable_get(KEY)
        return put(text) if log.nil? || log.ended

        pending = log.pending[@slot] << text
        last = pending.rindex("\n")
        return text.bytesize if last.nil?

        lines = pending[0...last]
        log.pending[@slot] = pending[(last + 1)..] || +"".b
        put(log.prefix + lines.gsub("\n", "\n".b + log.prefix) + "\n")
        text.bytesize
      end

      # IO#puts, print and printf semantics, done by a StringIO, then written as one piece.
      %i[puts print printf].each do |name|
        define_method(name) do |*args|
          buffer = StringIO.new
          buffer.public_send(name, *args)
          write(buffer.string)
          nil
        end
      end

      def <<(obj)
        write(obj)
        self
      end

      def putc(ch)
        write(ch.is_a?(Integer) ? ch.chr : ch.to_s[0])
        ch
      end

      def flush
        @raw.flush
        self
      end

      def sync
        true
      end

      # Logger (LogDevice) needs write and close; the function's log is never really closed.
      def close; end

      def closed?
        false
      end

      def sync=(_value); end

      def fileno
        @raw.fileno
      end

      def tty?
        false
      end
      alias isatty tty?

      def external_encoding
        @raw.external_encoding
      end

      # Anything else an IO has (syswrite, winsize...) is the real stream's, untagged.
      def method_missing(name, *args, &block)
        @raw.respond_to?(name) ? @raw.public_send(name, *args, &block) : super
      end

      def respond_to_missing?(name, include_private = false)
        @raw.respond_to?(name, include_private) || super
      end

      # Writes what the invocation left unfinished on this stream.
      def finish(log)
        rest = log.pending[@slot]
        return if rest.empty?

        log.pending[@slot] = +"".b
        put(log.prefix + rest + "\n")
      end

      private

      def put(bytes)
        @lock.synchronize do
          @raw.write(bytes)
          @raw.flush
        end
        bytes.bytesize
      end
    end

    module_function

    # Replace $stdout and $stderr once, before the function's code is loaded.
    def install
      STDOUT.sync = true
      STDERR.sync = true
      $stdout = TaggedStream.new(STDOUT, :out) unless $stdout.is_a?(TaggedStream)
      $stderr = TaggedStream.new(STDERR, :err) unless $stderr.is_a?(TaggedStream)
    end

    # Run the block with the lines this thread writes tagged `request_id`.
    def call(request_id)
      log = RequestLog.new(request_id)
      Thread.current.thread_variable_set(KEY, log)
      begin
        yield
      ensure
        log.ended = true
        Thread.current.thread_variable_set(KEY, nil)
        [$stdout, $stderr].each { |s| s.finish(log) if s.is_a?(TaggedStream) }
      end
    end
  end
end
