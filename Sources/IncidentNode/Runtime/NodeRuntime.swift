import AdminProtocol
import IncidentCore
import IncidentStorage
import PosixIO
import Synchronization

/// One running node: recovers state from disk, then runs the admin server and the background
/// services (snapshots, passivation) until `shutdown()`.
///
///     start():  snapshot + log tail → incident records → directory/actors → bind admin socket
///     run():    admin server ‖ snapshot scheduler ‖ passivation sweep   (one task group)
///     shutdown: stop accepting → flush log → snapshot → close log
public final class NodeRuntime: Sendable {
    /// The configuration in effect.
    public let configuration: NodeConfiguration
    let logger: Logger
    let log: EventLog
    let fs: any LogFileSystem
    let sequencer: EventSequencer
    let directory: IncidentDirectory
    let service: IncidentService
    let admin: AdminServer
    let http: HTTPServer
    let cluster: ClusterShell
    let snapshots: Snapshotter
    let escalation: EscalationSupervisor
    let startedAt: UInt64
    private let stopping = Mutex(false)
    private let stopSignal: AsyncStream<Void>
    private let stopContinuation: AsyncStream<Void>.Continuation

    /// What start-up found, for the log and tests.
    public let recoveryReport: RecoveryReport
    /// Milliseconds start-up took (recovery included).
    public let startupMillis: Int

    /// Recovers the node from its data directory and binds its sockets.
    /// - Throws: `LogError.corrupt`, `RecoveryError`, `SystemError` (bind) — each one clear line.
    public static func start(_ configuration: NodeConfiguration, logger: Logger, clock: any NodeClock = SystemClock())
        async throws -> NodeRuntime
    {
        let t0 = monotonicNanos()
        let fs = try PosixLogFileSystem(directory: configuration.effectiveDataDir)
        return try await start(configuration, fs: fs, logger: logger, clock: clock, t0: t0)
    }

    static func start(_ configuration: NodeConfiguration, fs: any LogFileSystem, logger: Logger, clock: any NodeClock, t0: UInt64)
        async throws -> NodeRuntime
    {
        let tag = try claimDataDirectory(fs, node: configuration.nodeID, now: clock.now())
        let author = NodeID.author(node: configuration.nodeID, directoryTag: tag)
        var recovery = NodeRecovery(node: configuration.nodeID, author: author)
        try recovery.loadSnapshot(fs: fs)
        let tSnapshot = monotonicNanos()
        let (log, report) = try EventLog.open(fs: fs, configuration: configuration.wal, after: recovery.snapshotLSN) { lsn, payload in
            try recovery.replay(lsn: lsn, payload: payload)
        }
        log.keepZerosAhead()
        let tLog = monotonicNanos()
        if let (file, offset) = report.truncatedAt {
            logger.warn(
                "torn log tail truncated (writes that were never acknowledged)",
                metadata: ["file": file, "offset": "\(offset)", "bytes": "\(report.truncatedBytes)"])
        }
        if !recovery.orphans.isEmpty {
            logger.warn("events without an opening event were ignored", metadata: ["count": "\(recovery.orphans.count)"])
        }
        let sequencer = EventSequencer(
            node: configuration.nodeID, author: author, log: log, clock: clock, lastSeq: recovery.lastSeq, lastHLC: recovery.lastHLC,
            feed: EventFeed())
        let stateDigest = StateDigest()
        let catalog = CatalogStore(sequencer: sequencer, digest: stateDigest, zones: ZoneDatabase(), logger: logger.child("aether.catalog"))
        catalog.load(recovery.catalog)
        let escalations = EscalationInbox()
        let context = IncidentActor.Context(
            sequencer: sequencer, index: SummaryIndex(), classifier: ClassifierModel(), digest: stateDigest,
            policy: configuration.policy, catalog: catalog, escalations: escalations)
        let directory = IncidentDirectory(context: context, tag: tag)
        await directory.load(recovery.records)
        let tLoad = monotonicNanos()
        logger.debug(
            "recovery phases", metadata: [
                "snapshot.ms": "\((tSnapshot - t0) / 1_000_000)", "log.ms": "\((tLog - tSnapshot) / 1_000_000)",
                "load.ms": "\((tLoad - tLog) / 1_000_000)",
            ])
        let service = IncidentService(directory: directory, context: context)
        let snapshots = Snapshotter(fs: fs, log: log, sequencer: sequencer, directory: directory, catalog: catalog, lastLSN: recovery.snapshotLSN, logger: logger.child("aether.snapshot"))
        var tokens = AdminTokens()
        if let path = configuration.adminTokenFile {
            let bytes: [UInt8]
            do { bytes = try PosixFile(path: path, create: false, readOnly: true).readAll() } catch {
                await log.close()
                throw ConfigurationError("cannot read --admin-token-file '\(path)': \(error.reason)")
            }
            do { tokens = try AdminTokens(parsing: String(decoding: bytes, as: UTF8.self), path: path) } catch {
                await log.close()
                throw error
            }
        }
        let notifier = Notifier(channels: configuration.channels, logger: logger.child("aether.notify")) { id, delivery in
            _ = try? await service.command(id, .recordDeliveries([delivery]), actor: "node:\(configuration.nodeID.name)")
        }
        let templates: TemplateSet
        do { templates = try TemplateSet(overrides: try Self.readTemplates(configuration.templateFiles)) } catch {
            await log.close()
            throw ConfigurationError("message templates: \(error)")
        }
        let operations = RuntimeOperations(startedAt: t0, snapshots: snapshots, notifier: notifier, templates: templates)
        let cluster: ClusterShell
        do {
            cluster = try ClusterShell(
                configuration: configuration, directory: directory, service: service, log: log, digest: stateDigest,
                feed: sequencer.feed!,
                clock: clock, logger: logger.child("aether.cluster"))
        } catch {
            await log.close()
            throw error
        }
        let supervisor = EscalationSupervisor(
            node: configuration.nodeID, inbox: escalations, catalog: catalog, service: service,
            overdueAfter: configuration.escalationOverdueAfter, warmup: configuration.escalationWarmup, notifier: notifier,
            templates: templates, reminderAfter: configuration.statusUpdateReminder,
            owners: { cluster.owners },
            logger: logger.child("aether.escalation"))
        let http: HTTPServer
        do {
            let quorum = configuration.effectiveWriteQuorum
            let routes = HTTPRoutes(
                service: service, log: log, tokens: tokens, limits: configuration.adminLimits,
                replicas: { lsns in await cluster.waitReplicas(lsns: lsns, need: quorum) },
                ready: { await !supervisor.status().warmingUp }, cluster: cluster, escalation: supervisor, startedAt: t0)
            http = try HTTPServer(
                address: configuration.http, routes: routes, bodyBytesMax: configuration.adminLimits.lineBytesMax,
                partialTimeout: configuration.adminLimits.partialLineTimeout, connectionsMax: configuration.adminLimits.connectionsMax)
        } catch {
            await cluster.stop()
            await log.close()
            throw error
        }
        let admin: AdminServer
        do {
            let quorum = configuration.effectiveWriteQuorum
            admin = try AdminServer(
                address: configuration.admin, log: log, limits: configuration.adminLimits, logger: logger.child("aether.admin"),
                replicas: { lsns in await cluster.waitReplicas(lsns: lsns, need: quorum) }
            ) { bound in
                let info = NodeInfo(
                    node: configuration.nodeID, region: configuration.region, admin: bound, http: http.address,
                    gossip: cluster.gossipAddress, writeQuorum: quorum)
                return AdminDispatcher(
                    service: service, node: info, tokens: tokens, limits: configuration.adminLimits, operations: operations,
                    cluster: cluster, escalation: supervisor)
            }
        } catch {
            http.stop()
            await cluster.stop()
            await log.close()
            throw error
        }
        let ms = Int((monotonicNanos() - t0) / 1_000_000)
        logger.info(
            "recovered", metadata: [
                "incidents": "\(recovery.records.count)", "snapshot.lsn": "\(recovery.snapshotLSN)",
                "replayed": "\(recovery.replayed)", "truncated.bytes": "\(report.truncatedBytes)", "preallocated.bytes": "\(report.preallocatedBytes)", "ms": "\(ms)",
            ])
        return NodeRuntime(
            configuration: configuration, logger: logger, log: log, fs: fs, sequencer: sequencer, directory: directory,
            service: service, admin: admin, http: http, cluster: cluster, snapshots: snapshots, escalation: supervisor, startedAt: t0,
            report: report, startupMillis: ms)
    }

    /// Reads template override files (name → path).
    static func readTemplates(_ files: [String: String]) throws -> [String: String] {
        var out: [String: String] = [:]
        for (name, path) in files {
            do { out[name] = String(decoding: try PosixFile(path: path, create: false, readOnly: true).readAll(), as: UTF8.self) } catch {
                throw ConfigurationError("cannot read template \(name) from '\(path)': \(error.reason)")
            }
        }
        return out
    }

    /// The file naming the node a data directory belongs to.
    static let nodeFile = "NODE"

    /// Refuses a data directory that belongs to another node; claims a new one. Returns the
    /// directory's incident-id tag (fixed at creation; see `IncidentID.tag(for:createdAt:)`).
    ///
    /// The `NODE` file holds the node id and the tag, one per line.
    @discardableResult
    static func claimDataDirectory(_ fs: any LogFileSystem, node: NodeID, now: Timestamp) throws -> String {
        if try fs.list().contains(nodeFile) {
            let lines = String(decoding: try fs.read(nodeFile), as: UTF8.self).split(separator: "\n").map {
                String($0).trimmingNewlines()
            }
            let owner = lines.first ?? ""
            guard owner == node.name else {
                throw ConfigurationError(
                    "the data directory belongs to node '\(owner)', not '\(node)'; pass --node-id \(owner) or use another --data-dir")
            }
            if lines.count >= 2, IncidentID.parts("INC-2000-0001-\(lines[1])") != nil { return lines[1] }
            return IncidentID.tag(for: node)
        }
        let tag = IncidentID.tag(for: node, createdAt: now)
        let h = try fs.open(nodeFile, create: true)
        let bytes = Array((node.name + "\n" + tag + "\n").utf8)
        try bytes.withUnsafeBytes { try h.write($0, at: 0) }
        try h.sync()
        try fs.syncDirectory()
        return tag
    }

    private init(
        configuration: NodeConfiguration, logger: Logger, log: EventLog, fs: any LogFileSystem, sequencer: EventSequencer,
        directory: IncidentDirectory, service: IncidentService, admin: AdminServer, http: HTTPServer, cluster: ClusterShell,
        snapshots: Snapshotter,
        escalation: EscalationSupervisor, startedAt: UInt64, report: RecoveryReport, startupMillis: Int
    ) {
        self.cluster = cluster
        self.configuration = configuration
        self.logger = logger
        self.log = log
        self.fs = fs
        self.sequencer = sequencer
        self.directory = directory
        self.service = service
        self.admin = admin
        self.http = http
        self.snapshots = snapshots
        self.escalation = escalation
        self.startedAt = startedAt
        self.recoveryReport = report
        self.startupMillis = startupMillis
        (stopSignal, stopContinuation) = AsyncStream.makeStream()
    }

    /// The bound admin address (the real port when 0 was configured).
    public var adminAddress: SocketAddress { admin.address }

    /// The bound HTTP address.
    public var httpAddress: SocketAddress { http.address }

    /// The bound gossip address.
    public var gossipAddress: SocketAddress { cluster.gossipAddress }

    /// The line printed when the node is ready (SPEC §2).
    public var readyLine: String {
        let c = configuration
        return "aetherd ready node=\(c.nodeID) region=\(c.region) admin=\(admin.address) http=\(http.address) gossip=\(cluster.gossipAddress)"
    }

    /// Serves until `shutdown()`; then stops accepting, flushes, snapshots and closes the log.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.admin.run() }
            group.addTask { await self.http.run() }
            group.addTask { await self.backgroundLoop() }
            group.addTask { await self.cluster.run() }
            group.addTask(priority: .high) { await self.escalation.run() }  // pages before bulk intake
            for await _ in stopSignal { break }
            admin.stop()
            http.stop()
            await cluster.stop()
            group.cancelAll()
        }
        try? await log.flush()
        do {
            let (lsn, bytes) = try await snapshots.take()
            logger.info("snapshot at shutdown", metadata: ["lsn": "\(lsn)", "bytes": "\(bytes)"])
        } catch {
            logger.warn("snapshot at shutdown failed", metadata: ["error": "\(error)"])
        }
        await log.close()
        logger.info("stopped", metadata: ["node.id": configuration.nodeID.name])
    }

    /// Asks `run()` to stop (idempotent; any thread).
    public func shutdown() {
        let first = stopping.withLock { s in
            defer { s = true }
            return !s
        }
        if first { stopContinuation.yield() }
    }

    /// Snapshots when the log has grown enough; passivates idle closed incidents.
    private func backgroundLoop() async {
        var tick = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            if Task.isCancelled { break }
            tick += 1
            if log.nextLSN - 1 >= snapshots.lastLSN + UInt64(configuration.snapshotEveryRecords) {
                do {
                    let (lsn, bytes) = try await snapshots.take()
                    logger.info("snapshot", metadata: ["lsn": "\(lsn)", "bytes": "\(bytes)"])
                } catch {
                    logger.warn("snapshot failed", metadata: ["error": "\(error)"])
                }
            }
            if tick % 10 == 0 {
                let cutoff = sequencer.now - configuration.passivateClosedAfter
                let n = await directory.passivateIdle(before: cutoff)
                if n > 0 { logger.debug("passivated closed incidents", metadata: ["count": "\(n)"]) }
            }
        }
    }

    /// Installs SIGTERM/SIGINT handlers that call `shutdown()` (`Signals.onTerminate`): in place
    /// before the ready line is printed, so a SIGTERM sent right after it is never lost.
    public func installSignalHandlers() {
        Signals.onTerminate { [weak self] in self?.shutdown() }
    }
}

/// Node operations the dispatcher calls.
struct RuntimeOperations: NodeOperations {
    let startedAt: UInt64
    let snapshots: Snapshotter
    let notifier: Notifier
    let templates: TemplateSet

    func uptimeSeconds() -> Double { Double(monotonicNanos() - startedAt) / 1e9 }

    func deliver(message: String, channels: [String], record: IncidentRecord) async -> [Delivery] {
        let incident = record.incident.id
        let key = "\(incident.text)/update/\(UInt64.random(in: 1...UInt64.max))"
        // The `status_update` template makes the message people read: "Subject: …", a blank line, the body.
        let context = MessageContext.of(record, update: message)
        let rendered = (try? templates.render("status_update", context)) ?? message
        let (subject, body) = MessageContext.split(rendered)
        var out: [Delivery] = []
        for c in channels {
            // Chat and log get the operator's words as written; email the template.
            let isEmail = notifier.isEmail(c)
            let m = Notifier.Message(
                incident: incident, kind: "status_update", text: isEmail ? body : message, key: key,
                fields: ["message": .string(message), "rendered": .string(body)], subject: isEmail ? subject : "")
            out.append(await notifier.deliver(m, to: c))
        }
        // A channel that is not configured is delivered to the log instead; say so once.
        if !channels.contains("log"), channels.contains(where: { !notifier.knows($0) }) {
            out.append(Delivery(channel: "log", ok: true, detail: "written to the node log"))
        }
        return out
    }

    func announce(_ text: String, kind: String, channels: [String], incident: IncidentID) async -> [Delivery] {
        var out: [Delivery] = []
        for c in channels {
            let m = Notifier.Message(incident: incident, kind: kind, text: text, key: "\(incident.text)/\(kind)/\(c)", fields: [:], subject: text)
            out.append(await notifier.deliver(m, to: c))
        }
        return out
    }

    func snapshot() async throws -> (UInt64, Int) { try await snapshots.take() }
}

extension String {
    func trimmingNewlines() -> String {
        var s = Substring(self)
        while let l = s.last, l == "\n" || l == "\r" || l == " " { s.removeLast() }
        return String(s)
    }
}
