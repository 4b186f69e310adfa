import PosixIO

/// The `aether` CLI: parses the command line, runs one command, returns the exit code
/// (0 ok, 1 server error, 2 usage, 3 cannot connect).
public enum AetherCommandLine {
    /// Every command.
    public static let commands: [CommandSpec] = IncidentCommands.all + OnCallCommands.all + IntegrationCommands.all + NodeCommands.all + LoadCommands.all

    /// Runs `arguments` (without the program name).
    public static func run(_ arguments: [String], environment: [String: String], print: @escaping (String) -> Void, printError: (String) -> Void) -> Int32 {
        if arguments.isEmpty || arguments == ["help"] || arguments.contains("--help") || arguments == ["-h"] {
            print(help)
            return 0
        }
        do {
            let invocation = try CommandLineParser.parse(arguments, commands: commands, environment: environment, print: print)
            try invocation.spec.run(invocation)
            return 0
        } catch {
            printError(error.description)
            return error.exitCode
        }
    }

    /// The command list.
    public static var help: String {
        var t = Table(["COMMAND", "WHAT"])
        for c in commands { t.add([c.path.joined(separator: " "), c.summary]) }
        return "usage: aether [--node HOST:PORT] [--token T] [--json] COMMAND [options]\n\n" + t.text
            + "\n\nenvironment: AETHER_NODE, AETHER_TOKEN. exit codes: 0 ok, 1 server error, 2 usage, 3 cannot connect."
    }
}
