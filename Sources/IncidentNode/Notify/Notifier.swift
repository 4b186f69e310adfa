import AetherJSON
import IncidentCore

/// Delivers pages and status updates to channels (SPEC §3 "Communication"): `log` (the node log),
/// and webhooks and email (SMTP relay) from the configuration. Delivery is at least once: an attempt that fails is retried
/// with back-off (1, 2, 4, 8 s; five attempts in all), every attempt's outcome goes into the
/// incident's timeline (`notified` / `notification_failed`), and each message carries an
/// `Idempotency-Key` so a receiver can drop a repeat of one it already took.
final class Notifier: Sendable {
    /// One message to one channel.
    struct Message: Sendable {
        /// The incident it is about.
        var incident: IncidentID
        /// `page` or `status_update`.
        var kind: String
        /// The text people read.
        var text: String
        /// The same for every attempt of this message (incident, step or update, recipient).
        var key: String
        /// Extra fields for JSON receivers.
        var fields: JSONObject
        /// The recipient's address on the channel (a person's contact), if any.
        var address: String? = nil
        /// The email subject.
        var subject: String = ""
    }

    /// Attempts in all, and the waits between them.
    static let backoff: [Duration] = [.seconds(1), .seconds(2), .seconds(4), .seconds(8)]
    static let timeoutMillis = 2000

    private let channels: [String: ChannelConfiguration]
    private let logger: Logger
    /// At most this many attempts (each a thread with a socket) run at once; the rest queue.
    private let slots = AsyncSlots(16)
    /// Per-channel pacing.
    private let pace = ChannelPace()
    private let record: @Sendable (IncidentID, Delivery) async -> Void

    /// `record` writes a later attempt's outcome into the incident's timeline.
    init(channels: [String: ChannelConfiguration], logger: Logger, record: @escaping @Sendable (IncidentID, Delivery) async -> Void) {
        self.channels = channels
        self.logger = logger
        self.record = record
    }

    /// Whether a channel sends email (and so wants a subject and the rendered template).
    func isEmail(_ channel: String) -> Bool {
        if case .smtp? = channels[channel]?.kind { return true }
        return false
    }

    /// Whether a channel name can be delivered to (`log`, `statuspage` or a configured one).
    func knows(_ channel: String) -> Bool { channel == "log" || channel == "statuspage" || channels[channel] != nil }

    /// Makes the first attempt and returns its outcome (the caller records it); a failed webhook
    /// attempt is retried in the background, each retry recorded as it happens.
    func deliver(_ m: Message, to channel: String) async -> Delivery {
        guard let config = channels[channel] else { return local(m, to: channel) }
        let first = await attempt(m, channel: channel, config: config, number: 1)
        if !first.ok {
            Task { _ = await self.retry(m, channel: channel, config: config, after: 1) }
        }
        return first
    }

    /// Delivers `m` until it is delivered or its attempts are used up (`attemptsMade` of them were
    /// made before, e.g. by a node that died), recording every attempt's outcome; returns whether
    /// it was delivered.
    func deliverUntilSettled(_ m: Message, to channel: String, attemptsMade: Int = 0) async -> Bool {
        guard let config = channels[channel] else {
            let outcome = local(m, to: channel)
            await record(m.incident, outcome)
            return outcome.ok
        }
        guard attemptsMade < Self.backoff.count + 1 else { return false }
        guard attemptsMade == 0 else { return await retry(m, channel: channel, config: config, after: attemptsMade) }
        let first = await attempt(m, channel: channel, config: config, number: 1)
        await record(m.incident, first)
        if first.ok { return true }
        return await retry(m, channel: channel, config: config, after: 1)
    }

    /// Retries after `made` attempts, with back-off, recording each outcome; returns whether one
    /// got through.
    private func retry(_ m: Message, channel: String, config: ChannelConfiguration, after made: Int) async -> Bool {
        for k in made..<(Self.backoff.count + 1) {
            try? await Task.sleep(for: Self.backoff[k - 1])
            let d = await attempt(m, channel: channel, config: config, number: k + 1)
            await record(m.incident, d)
            if d.ok { return true }
        }
        logger.error("notification given up", metadata: ["incident.id": m.incident.text, "channel": channel, "key": m.key])
        return false
    }

    /// The channels this node delivers itself: `log`, `statuspage`, and a name it has no
    /// configuration for (delivered to the log instead).
    private func local(_ m: Message, to channel: String) -> Delivery {
        if channel == "log" {
            logger.info(m.kind == "page" ? "page" : "status update", metadata: ["incident.id": m.incident.text, "channel": "log", "message": m.text])
            return Delivery(channel: "log", ok: true, detail: "written to the node log", key: m.key)
        }
        if channel == "statuspage" {
            // The node's own public page shows the incident's latest update posted to this channel;
            // it cannot reach a person.
            guard m.kind == "status_update" else {
                logger.info(m.kind, metadata: ["incident.id": m.incident.text, "channel": "log", "message": m.text])
                return Delivery(
                    channel: channel, ok: false, detail: "the statuspage channel publishes status updates only; this \(m.kind) was written to the node log instead",
                    key: m.key)
            }
            return Delivery(channel: "statuspage", ok: true, detail: "published on the status page (/status)", key: m.key)
        }
        logger.info(m.kind == "page" ? "page" : "status update", metadata: ["incident.id": m.incident.text, "channel": "log", "message": m.text])
        return Delivery(
            channel: channel, ok: false,
            detail: "channel '\(channel)' is not configured on this node (set channels.\(channel) in its config); delivered to the log channel instead",
            key: m.key)
    }

    private func attempt(_ m: Message, channel: String, config: ChannelConfiguration, number: Int) async -> Delivery {
        await pace.wait(channel, perMinute: config.ratePerMinute)
        await slots.acquire()
        var d = await send(m, channel: channel, config: config, number: number)
        await slots.release()
        d.key = m.key
        return d
    }

    private func send(_ m: Message, channel: String, config: ChannelConfiguration, number: Int) async -> Delivery {
        let of = "attempt \(number) of \(Self.backoff.count + 1)"
        switch config.kind {
        case .webhook(let url, let format):
            let body: JSONValue
            switch format {
            case .slack: body = ["text": .string(m.text)]
            case .json:
                var o = m.fields
                o["kind"] = .string(m.kind)
                o["incident_id"] = .string(m.incident.text)
                o["text"] = .string(m.text)
                o["key"] = .string(m.key)
                if let a = m.address { o["address"] = .string(a) }
                body = .object(o)
            }
            let headers = [("Content-Type", "application/json"), ("Idempotency-Key", m.key)]
            switch await HTTPClient.request("POST", url: url, headers: headers, body: body.serialized(), timeoutMillis: Self.timeoutMillis) {
            case .success(let (status, ms)) where (200...299).contains(status):
                return Delivery(channel: channel, ok: true, detail: "POST \(url) → \(status) in \(ms) ms (\(of))")
            case .success(let (status, ms)):
                return Delivery(channel: channel, ok: false, detail: "POST \(url) → \(status) in \(ms) ms (\(of))")
            case .failure(let e):
                return Delivery(channel: channel, ok: false, detail: "\(e.description) (\(of))")
            }
        case .smtp(let relay, let from, let to):
            if let a = m.address, !NodeConfiguration.isEmailAddress(a) {
                return Delivery(channel: channel, ok: false, detail: "contact address '\(a.prefix(80))' is not an email address; not sent")
            }
            let recipients = m.address.map { [$0] } ?? to
            guard !recipients.isEmpty else {
                return Delivery(channel: channel, ok: false, detail: "no recipient: the contact has no address and channels.\(channel).to is empty")
            }
            let subject = m.subject.isEmpty ? String(m.text.prefix { !$0.isNewline }.prefix(120)) : m.subject
            let id = m.key.replacing("/", with: ".").replacing("@", with: ".") + "@aether"
            switch await SMTPClient.send(relay: relay, from: from, to: recipients, subject: subject, body: m.text, messageID: id, timeoutMillis: Self.timeoutMillis) {
            case .success(let reply):
                return Delivery(channel: channel, ok: true, detail: "mail to \(recipients.joined(separator: ",")) via \(relay): \(reply) (\(of))")
            case .failure(let e):
                return Delivery(channel: channel, ok: false, detail: "\(e.description) (\(of))")
            }
        }
    }
}

/// A counting semaphore for async code: `acquire` waits while all slots are taken.
actor AsyncSlots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { free = count }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}

/// Paces each channel to its `rate_per_minute`: a burst of 10, then one message per interval;
/// a message over the rate waits for its slot (none is dropped).
actor ChannelPace {
    private var next: [String: ContinuousClock.Instant] = [:]
    private static let burst = 10

    func wait(_ channel: String, perMinute: Int) async {
        let interval = Duration.milliseconds(60_000 / max(1, perMinute))
        let now = ContinuousClock.now
        let slot = max(now - interval * Self.burst, next[channel] ?? now - interval * Self.burst)
        next[channel] = slot + interval
        if slot > now { try? await Task.sleep(until: slot, clock: .continuous) }
    }
}
