# frozen_string_literal: true

# How the bootstrap leaves: at once, without waiting for threads stuck in a handler, after flushing
# the log. On the fast channel the runner first gets an `exiting` frame, so it sends nothing more
# here and runs the next invocation on a new instance, whatever ends this one (a handler's `exit`,
# SIGTERM, a broken frame).
module HotSwap
  @announce_exit = nil

  class << self
    attr_writer :announce_exit

    def exit_now(code)
      begin
        @announce_exit&.call
      rescue StandardError
        nil
      end
      [STDOUT, STDERR].each do |io|
        io.flush
      rescue StandardError
        nil
      end
      exit!(code)
    end

    # Exit 0 on SIGTERM or SIGINT, promptly: a trap interrupts the main thread's blocking read; the
    # work runs on a thread of its own because a trap may not take the channel's lock.
    def exit_on_stop_signals
      %w[TERM INT].each { |sig| trap(sig) { Thread.new { exit_now(0) } } }
    end
  end
end
