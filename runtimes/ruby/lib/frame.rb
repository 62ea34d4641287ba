# frozen_string_literal: true

# The fast channel's frame codec for the Ruby bootstrap (runtimes/PROTOCOL.md), standard library only:
# u32 BE header length, u32 BE body length, the header (UTF-8 JSON object with a string "type"),
# the body (raw bytes). The golden frames in runtimes/fixtures/frames (test_frames.rb) prove it agrees
# with the runner's protocol/frame.ts and the Node and Python bootstraps' codecs.
require "json"

module HotSwap
  module Frame
    # Largest frame accepted, prefix included: the same limit as protocol/frame.ts.
    MAX_FRAME_BYTES = 64 * 1024 * 1024
    PREFIX_BYTES = 8

    # The peer sent something that is not a valid frame; the channel cannot recover.
    class FrameError < StandardError; end

    module_function

    # One frame as binary bytes; `header` is the header's JSON text.
    def encode(header, body = "")
      header = header.b
      body = body.b
      [header.bytesize, body.bytesize].pack("NN") << header << body
    end

    # The compact reply header, {"type":"result","id":"<id>"} (or "error"), that the runner reads without JSON.parse.
    def reply_header(kind, request_id)
      %({"type":"#{kind}","id":#{JSON.generate(request_id.to_s)}})
    end

    # The header object of a frame; FrameError unless it is a JSON object with a string "type".
    def parse_header(raw)
      header = begin
        JSON.parse(raw.dup.force_encoding(Encoding::UTF_8))
      rescue JSON::ParserError, EncodingError, ArgumentError
        raise FrameError, "frame header is not valid JSON"
      end
      raise FrameError, 'frame header is not an object with a string "type"' unless header.is_a?(Hash) && header["type"].is_a?(String)

      header
    end

    # Next [header, body] from an IO, or nil when it ends (mid-frame included). Raises FrameError as
    # soon as a prefix announces more than max bytes, before reading the rest.
    def read(io, max = MAX_FRAME_BYTES)
      prefix = io.read(PREFIX_BYTES)
      return nil if prefix.nil? || prefix.bytesize < PREFIX_BYTES

      header_length, body_length = prefix.unpack("NN")
      total = PREFIX_BYTES + header_length + body_length
      raise FrameError, "frame of #{total} bytes exceeds the #{max}-byte limit" if total > max

      header = io.read(header_length) || "".b
      body = body_length.positive? ? io.read(body_length) : "".b
      return nil if header.bytesize < header_length || body.nil? || body.bytesize < body_length

      [parse_header(header), body]
    end
  end
end
