import Foundation
import Testing

@testable import IncidentNode

/// Where Debian installs Chromium.
private let chromiumBinary = "/usr/bin/chromium"

/// The status page in a real browser (headless Chromium, Debian package): the DOM it builds holds
/// the open incidents, and a phone-sized screenshot is written for people to look at.
///
/// Runs when Chromium is installed (`.ci/run` installs it), against a real `aetherd` process.
/// Alone it takes about 2 s. Inside the full parallel run on two cores a browser starting at
/// normal priority takes both cores for seconds and slows the in-process nodes of other suites, so
/// it runs under `nice -n 19`.
@Suite(
    "Status page in headless Chromium", .serialized,
    .enabled(if: FileManager.default.isExecutableFile(atPath: chromiumBinary), "chromium is not installed"))
struct StatusPageBrowserTests {
    /// Runs Chromium headless on `url` with `arguments`; returns its standard output.
    static func chromium(_ arguments: [String], url: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/nice")
        p.arguments = ["-n", "19", chromiumBinary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=\(NSTemporaryDirectory())aether-chromium-\(getpid())"] + arguments + [url]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        // A browser on two busy cores can be slow; never let it hang the suite.
        let watchdog = Thread {
            Thread.sleep(forTimeInterval: 90)
            if p.isRunning { p.terminate() }
        }
        watchdog.start()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func theBrowserShowsTheOpenIncidentsAndAScreenshotIsWritten() async throws {
        // A real aetherd process: an in-process node shares the test process's two cooperative
        // threads with every other suite, and in the full parallel run one stalled past its
        // client's 60 s timeout here (three times; never in a process of its own).
        try await onThread {
            let cluster = try ClusterProcessTests.Cluster()
            defer { cluster.stop() }
            let node = try cluster.start("statuspage", peers: [])
            cluster.nodes = [node]
            let c = try ProcessCrashTests.Client(node.admin)
            _ = try c.call("alert.ingest", ["title": "Checkout down", "service": "checkout", "severity": "SEV-0"])
            _ = try c.call("alert.ingest", ["title": "Search <slow> & flaky", "service": "search", "severity": "SEV-2"])
            let url = "http://\(node.http)/status"
            let dom = try Self.chromium(["--dump-dom"], url: url)
            #expect(dom.contains("id=\"open-incidents\""))
            #expect(dom.contains("Checkout down") && dom.contains("Search &lt;slow&gt; &amp; flaky"))
            #expect(dom.contains("Major outage"))
            let shot = NSTemporaryDirectory() + "aether-status-page-\(getpid()).png"
            _ = try Self.chromium(["--screenshot=\(shot)", "--window-size=420,900"], url: url)
            let png = try Data(contentsOf: URL(fileURLWithPath: shot))
            #expect(png.count > 1000 && png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "a PNG at \(shot)")
            print("status page screenshot: \(shot) (\(png.count) bytes)")
        }
    }
}
