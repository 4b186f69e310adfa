import AetherCLI
import PosixIO

#if canImport(Glibc)
import Glibc
#endif

Socket.ignoreSIGPIPE()
var environment: [String: String] = [:]
var envp = environ
while let p = envp.pointee {
    let entry = String(cString: p)
    if let eq = entry.firstIndex(of: "=") { environment[String(entry[..<eq])] = String(entry[entry.index(after: eq)...]) }
    envp += 1
}
let code = AetherCommandLine.run(
    Array(CommandLine.arguments.dropFirst()), environment: environment, print: { ProcessLimits.printLine($0) },
    printError: { ProcessLimits.printError($0) })
PosixIO.exit(code)
