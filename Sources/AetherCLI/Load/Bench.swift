/// `aether bench`: placeholder filled in next.
enum Bench {
    static func run(_ inv: Invocation) throws(CLIError) {
        throw CLIError(.failed("bench is being written"))
    }
}
