/// A JSON parse error with the byte offset of the problem and a precise message.
///
/// The message already contains the offset, e.g.
/// `"unexpected character '}' at offset 9; expected a string key"`.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset into the input where the problem is.
    public var offset: Int
    /// Human-readable description naming the bad input and what was expected.
    public var message: String

    /// Creates an error; `message` should mention `offset`.
    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

extension JSONError {
    /// `0xAB`-style rendering of a byte.
    static func hex(_ byte: UInt8) -> String {
        let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]
        return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
    }

    /// `'c'` for printable ASCII, `byte 0xAB` otherwise.
    static func describeCharacter(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte <= 0x7E {
            return "character '" + String(UnicodeScalar(byte)) + "'"
        }
        if byte == 0x20 { return "character ' '" }
        return "byte " + hex(byte)
    }

    static func unexpectedEnd(at offset: Int, expected: String) -> JSONError {
        JSONError(offset: offset, message: "unexpected end of input at offset \(offset); expected \(expected)")
    }

    static func unexpected(_ byte: UInt8, at offset: Int, expected: String) -> JSONError {
        JSONError(offset: offset, message: "unexpected \(describeCharacter(byte)) at offset \(offset); expected \(expected)")
    }
}
