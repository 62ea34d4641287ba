# frozen_string_literal: true

# The trace context of an invocation, as Lambda's runtimes give it: `_X_AMZN_TRACE_ID` (X-Ray) and
# `TRACEPARENT` (W3C) in ENV while the instance runs one invocation at a time (with several at once
# ENV is shared, so it is left alone). The X-Ray header is derived from a traceparent when the
# runner sends only that, as AWS maps one to the other.
module HotSwap
  module Trace
    module_function

    # "Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>" from a W3C traceparent, nil if malformed.
    def xray_from_traceparent(traceparent)
      m = /\A[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})\z/i.match(traceparent.to_s)
      return nil unless m

      "Root=1-#{m[1][0, 8]}-#{m[1][8..]};Parent=#{m[2]};Sampled=#{m[3].to_i(16) & 1}"
    end

    def enter(traceparent, xray, concurrency)
      return unless concurrency == 1

      xray ||= xray_from_traceparent(traceparent) if traceparent
      { "_X_AMZN_TRACE_ID" => xray, "TRACEPARENT" => traceparent }.each do |k, v|
        v ? ENV[k] = v : ENV.delete(k)
      end
    end
  end
end
