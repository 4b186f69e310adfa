// MARK: - Binary encoding of alerts (forwarded between nodes to the node deciding the dedup key).

extension Alert {
    /// Appends the alert's encoding.
    public func encode(into w: inout ByteWriter) {
        w.writeBool(dedupKey != nil)
        if let dedupKey { w.writeString(dedupKey) }
        w.writeString(title)
        w.writeString(description)
        w.writeString(source)
        w.writeString(service)
        w.writeString(component)
        switch severity {
        case nil: w.write(UInt8(0))
        case .explicit(let s):
            w.write(UInt8(1))
            w.write(UInt8(s.rawValue))
        case .level(let l):
            w.write(UInt8(2))
            w.writeString(l.rawValue)
        }
        w.writeString(action.rawValue)
        w.writeVarint(UInt64(labels.count))
        for (k, v) in labels.sorted(by: { $0.key < $1.key }) {
            w.writeString(k)
            w.writeString(v)
        }
        w.writeBool(affectedUsersPct != nil)
        if let p = affectedUsersPct { w.writeDouble(p) }
        w.writeStrings(affectedServices)
        w.writeVarint(UInt64(links.count))
        for l in links {
            w.writeString(l.href)
            w.writeString(l.text)
        }
        w.writeOptionalTimestamp(timestamp)
    }

    /// Decodes an alert (validate it before use: bytes from a peer are not trusted).
    public init(from r: inout ByteReader) throws(BinaryDecodingError) {
        let key: String? = try r.readBool() ? try r.readString() : nil
        self.init(title: try r.readString())
        dedupKey = key
        description = try r.readString()
        source = try r.readString()
        service = try r.readString()
        component = try r.readString()
        let at = r.offset
        switch try r.readUInt8() {
        case 0: severity = nil
        case 1:
            let raw = Int(try r.readUInt8())
            guard let s = Severity(rawValue: raw) else { throw BinaryDecodingError(offset: at, message: "bad severity \(raw)") }
            severity = .explicit(s)
        case 2:
            let text = try r.readString()
            guard let l = MonitoringLevel(rawValue: text) else { throw BinaryDecodingError(offset: at, message: "bad level \(text)") }
            severity = .level(l)
        case let t:
            throw BinaryDecodingError(offset: at, message: "unknown severity kind \(t)")
        }
        let actionText = try r.readString()
        guard let a = Action(rawValue: actionText) else {
            throw BinaryDecodingError(offset: r.offset, message: "unknown alert action \(actionText)")
        }
        action = a
        let n = try r.readCount(max: min(4096, r.remaining), "label count")
        for _ in 0..<n { labels[try r.readString()] = try r.readString() }
        affectedUsersPct = try r.readBool() ? try r.readDouble() : nil
        affectedServices = try r.readStrings()
        let m = try r.readCount(max: min(4096, r.remaining), "link count")
        for _ in 0..<m { links.append(Link(href: try r.readString(), text: try r.readString())) }
        timestamp = try r.readOptionalTimestamp()
    }
}
