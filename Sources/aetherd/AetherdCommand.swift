import IncidentNode
import PosixIO

/// `aetherd`: parse flags and config → validate → recover → serve until SIGTERM/SIGINT.
/// Exit codes: 0 clean stop, 1 runtime failure (corrupt log, bind error), 2 bad flag or config.
@main
struct AetherdCommand {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--help") || arguments.contains("-h") {
            ProcessLimits.printLine(NodeConfiguration.usage)
            return
        }
        let configuration: NodeConfiguration
        do {
            configuration = try NodeConfiguration.parse(arguments: arguments) { path in
                try PosixFile(path: path, create: false, readOnly: true).readAll()
            }
            try configuration.validate()
        } catch {
            ProcessLimits.printError("aetherd: error: \(error.message)")
            ProcessLimits.printError(NodeConfiguration.usage)
            exit(ExitCode.usage)
        }
        Socket.ignoreSIGPIPE()
        ProcessLimits.raiseOpenFileLimit()
        ProcessLimits.compactAllocator()
        let logger = Logger(label: "aetherd", level: configuration.logLevel)
        let runtime: NodeRuntime
        do {
            runtime = try await NodeRuntime.start(configuration, logger: logger)
        } catch let error as ConfigurationError {
            ProcessLimits.printError("aetherd: error: \(error.message)")
            exit(ExitCode.usage)
        } catch {
            ProcessLimits.printError("aetherd: error: \(error)")
            exit(ExitCode.failure)
        }
        runtime.installSignalHandlers()
        ProcessLimits.printLine(runtime.readyLine)
        await runtime.run()
    }
}
