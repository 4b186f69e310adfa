/// `aetherd` exit codes.
enum ExitCode {
    /// A bad flag or config file.
    static let usage: Int32 = 2
    /// The node could not start or failed while running.
    static let failure: Int32 = 1
}
