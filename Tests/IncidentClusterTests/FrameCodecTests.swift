import IncidentCore
import Testing

@testable import IncidentCluster

/// Gossip frames: authenticated with HMAC-SHA256 when the cluster has a key, bound to the
/// receiver's nonce and a strictly increasing sequence (replay-safe), bounded in size.
@Suite("Gossip frame authentication")
struct FrameCodecTests {
    static let key = HMACSHA256(key: Array("correct horse battery staple!".utf8))
    static let message = ClusterMessage.digestSummary([1, 2, 3])

    func decode(_ codec: FrameCodec, _ bytes: [UInt8], expected: UInt64 = 2, nonce: UInt64 = 77)
        -> Result<(sequence: UInt64, message: ClusterMessage), FrameCodec.Rejection>?
    {
        bytes.withUnsafeBytes { codec.decode($0, expectedSequence: expected, myNonce: nonce)?.result }
    }

    @Test func keyedFrameRoundTrips() throws {
        let codec = FrameCodec(key: Self.key)
        let frame = codec.encode(Self.message, sequence: 2, receiverNonce: 77)
        guard case .success(let (seq, m))? = decode(codec, frame) else {
            Issue.record("keyed frame did not decode")
            return
        }
        #expect(seq == 2)
        guard case .digestSummary(let b) = m else { Issue.record("wrong message"); return }
        #expect(b == [1, 2, 3])
    }

    @Test("every single flipped bit of a keyed frame is rejected (or breaks the stream)")
    func tamperingIsRejected() {
        let codec = FrameCodec(key: Self.key)
        let frame = codec.encode(Self.message, sequence: 2, receiverNonce: 77)
        for i in 4..<frame.count {  // past the length prefix
            var bad = frame
            bad[i] ^= 0x01
            switch decode(codec, bad) {
            case .success?: Issue.record("flip at byte \(i) accepted")
            case .failure(.unauthenticated)?, .failure(.malformed)?: break
            case .failure(let other)?: Issue.record("flip at byte \(i): \(other)")
            case nil: Issue.record("flip at byte \(i): frame seen as incomplete")
            }
        }
    }

    @Test func aFrameForAnotherConnectionIsRejected() {
        let codec = FrameCodec(key: Self.key)
        let frame = codec.encode(Self.message, sequence: 2, receiverNonce: 77)
        guard case .failure(.unauthenticated)? = decode(codec, frame, nonce: 78) else {
            Issue.record("a frame bound to nonce 77 was accepted by a connection with nonce 78")
            return
        }
    }

    @Test func replayedAndReorderedFramesAreRejected() {
        let codec = FrameCodec(key: Self.key)
        let frame = codec.encode(Self.message, sequence: 2, receiverNonce: 77)
        guard case .failure(.unauthenticated)? = decode(codec, frame, expected: 3) else {
            Issue.record("a replayed frame (sequence 2 where 3 is expected) was accepted")
            return
        }
        let later = codec.encode(Self.message, sequence: 5, receiverNonce: 77)
        guard case .failure(.unauthenticated)? = decode(codec, later, expected: 3) else {
            Issue.record("a frame skipping ahead was accepted")
            return
        }
    }

    @Test func aWrongKeyOrNoKeyIsRejected() {
        let ours = FrameCodec(key: Self.key)
        let theirs = FrameCodec(key: HMACSHA256(key: Array("another cluster's key".utf8)))
        let frame = theirs.encode(Self.message, sequence: 2, receiverNonce: 77)
        guard case .failure(.unauthenticated)? = decode(ours, frame) else {
            Issue.record("a frame MACed with another key was accepted")
            return
        }
        let open = FrameCodec(key: nil).encode(Self.message, sequence: 2, receiverNonce: 77)
        switch decode(ours, open) {
        case .success?: Issue.record("an unauthenticated frame was accepted by a keyed node")
        default: break
        }
    }

    @Test func unkeyedFramesRoundTrip() {
        let codec = FrameCodec(key: nil)
        let frame = codec.encode(.eventsAck(batch: 9, lsn: 99), sequence: 2, receiverNonce: 0)
        guard case .success(let (_, m))? = decode(codec, frame), case .eventsAck(let b, let l) = m else {
            Issue.record("unkeyed frame did not decode")
            return
        }
        #expect(b == 9 && l == 99)
    }

    @Test("partial frames wait; oversized lengths and bad versions break the stream")
    func framingErrors() {
        let codec = FrameCodec(key: nil)
        let frame = codec.encode(Self.message, sequence: 2, receiverNonce: 0)
        for cut in 0..<frame.count {
            #expect(Array(frame[0..<cut]).withUnsafeBytes { codec.decode($0, expectedSequence: 2, myNonce: 0) } == nil)
        }
        var huge = frame
        huge[3] = 0x7F  // length ≈ 2 GiB
        guard case .failure(.malformed)? = decode(codec, huge) else { Issue.record("huge length accepted"); return }
        var version = frame
        version[4] = 9
        guard case .failure(.malformed)? = decode(codec, version) else { Issue.record("bad version accepted"); return }
    }

    @Test("hostile message bytes inside a valid frame are undecodable, never a crash")
    func garbageMessages() {
        let codec = FrameCodec(key: nil)
        var rng = SeededRandom(seed: 7)
        for _ in 0..<2000 {
            let n = Int(rng.next() % 64) + 1
            var body: [UInt8] = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            body[0] = UInt8(rng.next() % 12)
            var frame: [UInt8] = []
            let length = UInt32(9 + body.count)
            withUnsafeBytes(of: length.littleEndian) { frame += $0 }
            frame.append(1)
            withUnsafeBytes(of: UInt64(2).littleEndian) { frame += $0 }
            frame += body
            _ = decode(codec, frame)
        }
    }
}

