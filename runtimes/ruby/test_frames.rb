# frozen_string_literal: true

# The Ruby bootstrap's side of the golden frames (runtimes/fixtures/frames), standard library only.
# Its codec (lib/frame.rb) decodes every case as frames.json says however the bytes are cut on a
# real socket, refuses the invalid ones with the same messages as protocol/frame.ts, encodes to the
# stored bytes and writes the compact reply headers byte for byte; the bootstrap, run as a process,
# leaves with that message on an oversized or broken frame instead of reading it. Run by
# frames.test.ts (npm test), or alone: ruby runtimes/ruby/test_frames.rb
require "json"
require "socket"
require "open3"
require_relative "lib/frame"
require_relative "lib/fast_channel"

HERE = __dir__
FIXTURES = File.join(HERE, "..", "fixtures", "frames")
MANIFEST = JSON.parse(File.read(File.join(FIXTURES, "frames.json")))
CASES = MANIFEST["cases"].to_h { |c| [c["name"], c] }
$checks = 0
$failures = []

def check(ok, what)
  $checks += 1
  $failures << what unless ok
end

def case_bytes(c) = File.binread(File.join(FIXTURES, c["file"]))

def body_of(f)
  unit = f.key?("bodyHex") ? [f["bodyHex"]].pack("H*") : (f["bodyText"] || "").b
  unit * (f["bodyRepeat"] || 1)
end

# Whole, one byte per write (small cases), the case's own reads, and cut in two anywhere (small cases).
def deliveries(c, data)
  out = [["in one write", [data]]]
  out << ["one byte per write", data.bytes.map(&:chr)] if data.bytesize <= 4096
  if c["reads"]
    off = 0
    chunks = c["reads"].map { |n| data.byteslice(off, n).tap { off += n } }
    out << ["in writes of #{c['reads']} and the rest", chunks + [data.byteslice(off..)]]
  end
  (1...data.bytesize).each { |cut| out << ["cut at #{cut}", [data.byteslice(0, cut), data.byteslice(cut..)]] } if data.bytesize <= 4096
  out
end

# [frames, error message or nil] for the bytes written in these chunks to a real socket.
def decode(chunks)
  reader, writer = UNIXSocket.pair
  feeder = Thread.new do
    chunks.each { |ch| writer.write(ch) unless ch.empty? }
  rescue Errno::EPIPE, IOError
    nil
  ensure
    writer.close
  end
  frames = []
  begin
    while (frame = HotSwap::Frame.read(reader))
      frames << frame
    end
    [frames, nil]
  rescue HotSwap::Frame::FrameError => e
    [frames, e.message]
  ensure
    reader.close
    feeder.join
  end
end

check(HotSwap::Frame::MAX_FRAME_BYTES == MANIFEST["maxFrameBytes"], "the maximum frame size is the protocol's")

MANIFEST["cases"].each do |c|
  want = c["frames"].map { |f| [f["header"], body_of(f)] }
  deliveries(c, case_bytes(c)).each do |how, chunks|
    frames, error = decode(chunks)
    check(frames == want, "#{c['name']} #{how}: decoded #{frames.inspect[0, 300]}")
    check(error == c["error"], "#{c['name']} #{how}: error #{error.inspect}, expected #{c['error'].inspect}")
  end
end

MANIFEST["cases"].each do |c|
  data = case_bytes(c)
  off = 0
  c["frames"].each do |f|
    enc = HotSwap::Frame.encode(f["headerText"], body_of(f))
    check(data.byteslice(off, enc.bytesize) == enc, "#{c['name']}: encodes to the stored bytes")
    off += enc.bytesize
  end
  check(off == data.bytesize, "#{c['name']}: no bytes left over") unless c.key?("error") || c.key?("incomplete")
end

replies = 0
%w[result-compact error-compact result-empty-body batch-replies result-large-body].each do |name|
  c = CASES[name]
  a, b = UNIXSocket.pair
  chan = HotSwap::FastChannel.new(a)
  c["frames"].each do |f|
    check(f["compact"] == "reply", "#{name}: a compact reply")
    header = HotSwap::Frame.reply_header(f["header"]["type"], f["header"]["id"])
    check(header == f["headerText"], "#{name}: reply header #{header}")
    chan.send_frame(header, body_of(f))
    replies += 1
  end
  a.close_write
  check(b.read == case_bytes(c), "#{name}: sent as stored")
  a.close
  b.close
end
check(replies.positive?, "some replies were checked")

%w[oversize-by-one header-not-json].each do |name|
  c = CASES[name]
  parent, child = UNIXSocket.pair
  env = { "HOTSWAP_CHANNEL_FD" => child.fileno.to_s }
  Open3.popen3(env, RbConfig.ruby, File.join(HERE, "bootstrap.rb"), child.fileno => child.fileno, unsetenv_others: false) do |stdin, _out, err, wait|
    child.close
    stdin.close
    hello = HotSwap::Frame.read(parent)
    check(hello && hello[0]["type"] == "hello" && hello[0]["runtime"] == "ruby", "#{name}: hello first")
    parent.write(case_bytes(c))
    status = wait.value
    stderr = err.read
    check(status.exitstatus == 1, "#{name}: exit 1, got #{status.exitstatus} (#{stderr})")
    check(stderr.include?("hotswap bootstrap: #{c['error']}"), "#{name}: says why (#{stderr})")
  end
  parent.close
end

if $failures.empty?
  puts "OK #{$checks} checks"
else
  warn $failures.first(20).join("\n")
  warn "FAILED #{$failures.size} of #{$checks} checks"
  exit 1
end
