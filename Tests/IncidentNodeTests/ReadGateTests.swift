import Testing

@testable import IncidentNode

/// The connection read gate: reading pauses over the limit and resumes exactly once when half the
/// waiting requests are answered, whichever side gets there first.
@Suite("Read gate: pause over the limit, resume once at half")
struct ReadGateTests {
    final class Calls {
        var pauses = 0
        var resumes = 0
    }

    @Test("over the limit reading pauses; answers down to half the limit resume it once")
    func pauseThenResume() {
        let gate = ReadGate(limit: 8)
        let calls = Calls()
        gate.arrived(8, pause: { calls.pauses += 1 }, resume: { calls.resumes += 1 })
        #expect(calls.pauses == 0, "at the limit: still reading")
        gate.arrived(1, pause: { calls.pauses += 1 }, resume: { calls.resumes += 1 })
        #expect(calls.pauses == 1 && calls.resumes == 0)
        gate.answered(4) { calls.resumes += 1 }
        #expect(calls.resumes == 0, "5 still wait: above half")
        gate.answered(1) { calls.resumes += 1 }
        #expect(calls.resumes == 1)
        gate.answered(4) { calls.resumes += 1 }
        #expect(calls.resumes == 1, "not paused any more: nothing to resume")
    }

    @Test("answers that catch up while the loop pauses resume reading exactly once")
    func answersDuringThePause() {
        let gate = ReadGate(limit: 8)
        let calls = Calls()
        gate.arrived(
            9,
            pause: {
                calls.pauses += 1
                gate.answered(9) { calls.resumes += 1 }  // the answering task drains everything meanwhile
            },
            resume: { calls.resumes += 1 })
        #expect(calls.pauses == 1 && calls.resumes == 1)
    }

    @Test("pausing and resuming repeat as the backlog grows and drains again")
    func cycles() {
        let gate = ReadGate(limit: 8)
        let calls = Calls()
        for round in 1...3 {
            gate.arrived(12, pause: { calls.pauses += 1 }, resume: { calls.resumes += 1 })
            #expect(calls.pauses == round && calls.resumes == round - 1)
            gate.answered(12) { calls.resumes += 1 }
            #expect(calls.resumes == round)
        }
    }
}
