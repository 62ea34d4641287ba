# frozen_string_literal: true

# HotSwap Ruby bootstrap (standard library only; Ruby 3.1+).
#
# Speaks HotSwap's fast channel (runtimes/PROTOCOL.md) when HOTSWAP_CHANNEL_FD, HOTSWAP_CHANNEL_SOCKET
# or HOTSWAP_CHANNEL_TCP is set, otherwise the AWS Lambda Runtime API (AWS_LAMBDA_RUNTIME_API).
# Runs Lambda Ruby handlers `def handler(event:, context:)` named `file.method` or
# `file.Module::Class.method`. Its stdout/stderr are the function's log; protocol data only ever
# crosses the channel. Its own files are loaded by path, so they never shadow the function's.
require "json"
require "socket"
require_relative "lib/exit"
require_relative "lib/log_capture"

module HotSwap
  module Main
    module_function

    def connect(env)
      # One-time token identifying this instance on a shared TCP listener; never the function's.
      token = env.delete("HOTSWAP_CHANNEL_TOKEN")
      if (fd = env.delete("HOTSWAP_CHANNEL_FD"))
        [Socket.for_fd(Integer(fd)), nil]
      elsif (path = env.delete("HOTSWAP_CHANNEL_SOCKET"))
        [UNIXSocket.new(path), nil]
      elsif (addr = env.delete("HOTSWAP_CHANNEL_TCP"))
        host, _, port = addr.rpartition(":")
        sock = Socket.tcp(host.delete("[]"), Integer(port))
        sock.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1)
        [sock, token]
      end
    rescue SystemCallError, ArgumentError, SocketError => e
      STDERR.write("hotswap bootstrap: cannot connect to the runner's channel: #{e.message}\n")
      HotSwap.exit_now(1)
    end

    def run(env = ENV)
      HotSwap.exit_on_stop_signals
      # Each line a handler writes carries its request id (lib/log_capture.rb).
      LogCapture.install
      sock, token = connect(env)
      if sock
        require_relative "lib/fast_channel"
        FastServer.new(FastChannel.new(sock), token).run
      elsif env["AWS_LAMBDA_RUNTIME_API"]
        require_relative "lib/runtime_api"
        RuntimeApiServer.new(env["AWS_LAMBDA_RUNTIME_API"], env).run
      else
        STDERR.write("hotswap bootstrap: set HOTSWAP_CHANNEL_FD, HOTSWAP_CHANNEL_SOCKET, HOTSWAP_CHANNEL_TCP or AWS_LAMBDA_RUNTIME_API\n")
        HotSwap.exit_now(2)
      end
    end
  end
end

if $PROGRAM_NAME == __FILE__
  begin
    HotSwap::Main.run
  rescue SystemExit => e
    HotSwap.exit_now(e.status)
  rescue Exception => e # rubocop:disable Lint/RescueException -- a bug in the bootstrap's own loop: report it, tell the runner, leave
    STDERR.write("hotswap bootstrap: #{e.class}: #{e.message}\n#{(e.backtrace || []).join("\n")}\n")
    HotSwap.exit_now(1)
  end
end
