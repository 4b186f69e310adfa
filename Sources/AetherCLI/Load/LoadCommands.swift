/// `aether storm` and `aether bench`.
enum LoadCommands {
    static let all: [CommandSpec] = []
}
