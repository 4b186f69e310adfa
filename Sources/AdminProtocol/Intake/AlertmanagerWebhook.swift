import AetherJSON
import IncidentCore

/// Prometheus Alertmanager webhook notifications (`POST /v1/integrations/alertmanager`, SPEC §5,
/// payload version "4"): each entry of `alerts[]` becomes one Aether `Alert`.
///
/// Mapping: dedupKey = `fingerprint` (when absent or empty: the Prometheus fingerprint of the labels,
/// computed the way Alertmanager does), title = `annotations.summary` ?? `labels.alertname`,
/// description = `annotations.description` ?? "", source = `alertmanager`,
/// service = `labels.service` ?? `labels.job` ?? "", component = `labels.instance` ?? "",
/// severity = `labels.severity` when it is critical/error/warning/info or SEV-n (else nil),
/// labels = the alert's own labels, action = `firing` → trigger, `resolved` → resolve (an alert without
/// `status` takes the notification's), timestamp = `startsAt` (firing) or `endsAt` (resolved; `startsAt`
/// when `endsAt` is absent or Go's zero time), links = `generatorURL` then `annotations.runbook_url`.
///
/// `commonLabels`, `commonAnnotations`, `groupLabels`, `groupKey`, `receiver`, `externalURL` and
/// `truncatedAlerts` are not used: common labels are by definition already in every alert's labels, and
/// anything that depends on which alerts share a notification would make the same alert map differently
/// from one group notification to the next. Every alert is decoded from its own entry only, so repeated
/// notifications map to identical alerts and deduplication absorbs them.
///
/// Limits: a title over the limit is shortened (the full summary then starts the description), a
/// description over the limit is shortened, and a generated URL over the URL limit is left out; every
/// other value must satisfy `Alert.validate`.
public enum AlertmanagerWebhook {
    /// The only payload version understood.
    public static let version = "4"
    /// The `source` given to every decoded alert.
    public static let source = "alertmanager"

    /// Decodes and validates a webhook body.
    /// - Returns: one alert per entry of `alerts`, in order (empty when `alerts` is empty).
    /// - Throws: `AdminError(.badRequest)` naming the path of the first problem, e.g.
    ///   `alerts[3].labels is a string; expected an object`. Never traps on hostile input.
    public static func decode(_ body: [UInt8], limits: AlertLimits = AlertLimits()) throws(AdminError) -> [Alert] {
        let value: JSONValue
        do { value = try JSONParser.parse(body) } catch {
            throw bad("body is not valid JSON: \(error.message)")
        }
        guard case .object(let o) = value else {
            throw bad("body is \(value.typeWithArticle); expected a JSON object")
        }
        guard let v = o["version"], !v.isNull else { throw bad("version is missing; expected '\(version)'") }
        guard case .string(let got) = v else {
            throw bad("version is \(v.typeWithArticle); expected the string '\(version)'")
        }
        guard got == version else {
            throw bad("version '\(IntakeText.clip(got))' is not supported; expected '\(version)'")
        }
        let groupStatus = try status(o, in: "")
        guard let av = o["alerts"], !av.isNull else { throw bad("alerts is missing; expected a list of alerts") }
        guard case .array(let items) = av else {
            throw bad("alerts is \(av.typeWithArticle); expected a list of alerts")
        }
        var alerts: [Alert] = []
        alerts.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            let path = "alerts[\(i)]"
            guard case .object(let entry) = item else {
                throw bad("\(path) is \(item.typeWithArticle); expected an object")
            }
            alerts.append(try alert(entry, path: path, groupStatus: groupStatus, limits: limits))
        }
        return alerts
    }

    /// One entry of `alerts[]`.
    static func alert(
        _ o: JSONObject, path: String, groupStatus: Alert.Action?, limits: AlertLimits
    ) throws(AdminError) -> Alert {
        guard let action = try status(o, in: path) ?? groupStatus else {
            throw bad("\(path).status is missing; expected firing or resolved")
        }
        let labels = try stringMap(o, "labels", path: path)
        let annotations = try stringMap(o, "annotations", path: path)
        guard let summary = nonEmpty(annotations["summary"]) ?? nonEmpty(labels["alertname"]) else {
            throw bad("\(path) has neither annotations.summary nor labels.alertname; expected one of them for the title")
        }
        let startsAt = try time(o, "startsAt", path: path)
        let endsAt = try time(o, "endsAt", path: path)
        let fingerprint = try string(o, "fingerprint", path: path)
        let generatorURL = try string(o, "generatorURL", path: path)

        let (title, overflow) = IntakeText.titleAndOverflow(summary, limits: limits)
        var alert = Alert(
            title: title,
            dedupKey: nonEmpty(fingerprint) ?? IntakeText.labelFingerprint(labels),
            description: IntakeText.description([overflow ?? "", annotations["description"] ?? ""], limits: limits),
            source: source,
            service: nonEmpty(labels["service"]) ?? labels["job"] ?? "",
            component: labels["instance"] ?? "",
            severity: labels["severity"].flatMap(SourceSeverity.init(parsing:)),
            action: action,
            labels: labels,
            timestamp: action == .resolve ? (endsAt ?? startsAt) : startsAt)
        for (href, text) in [(generatorURL, "generator"), (annotations["runbook_url"], "runbook")] {
            guard let href = nonEmpty(href), href.utf8.count <= limits.labelValueBytesMax,
                alert.links.count < limits.linksMax
            else { continue }
            alert.links.append(Alert.Link(href: href, text: text))
        }
        do { try alert.validate(limits: limits) } catch { throw bad("\(path): \(error.message)") }
        return alert
    }

    // MARK: - Primitives

    private static func bad(_ message: String) -> AdminError { AdminError(.badRequest, message) }

    private static func nonEmpty(_ s: String?) -> String? {
        guard let s, !s.isEmpty else { return nil }
        return s
    }

    /// `status` (firing → trigger, resolved → resolve); nil when absent.
    private static func status(_ o: JSONObject, in path: String) throws(AdminError) -> Alert.Action? {
        guard let s = try string(o, "status", path: path) else { return nil }
        switch s {
        case "firing": return .trigger
        case "resolved": return .resolve
        default: throw bad("\(join(path, "status")) '\(IntakeText.clip(s))' is not valid; expected firing or resolved")
        }
    }

    /// An optional string member; `path` is the containing object's path ("" at the top).
    private static func string(_ o: JSONObject, _ key: String, path: String) throws(AdminError) -> String? {
        guard let v = o[key], !v.isNull else { return nil }
        guard case .string(let s) = v else {
            throw bad("\(join(path, key)) is \(v.typeWithArticle); expected a string")
        }
        return s
    }

    /// An optional object of strings (labels, annotations); empty when absent.
    private static func stringMap(_ o: JSONObject, _ key: String, path: String) throws(AdminError) -> [String: String] {
        guard let v = o[key], !v.isNull else { return [:] }
        let here = join(path, key)
        guard case .object(let members) = v else {
            throw bad("\(here) is \(v.typeWithArticle); expected an object")
        }
        var map: [String: String] = [:]
        for (name, value) in members {
            guard case .string(let s) = value else {
                throw bad("\(here).\(IntakeText.clip(name)) is \(value.typeWithArticle); expected a string")
            }
            map[name] = s
        }
        return map
    }

    /// An optional RFC 3339 time; nil when absent, empty or Go's zero time (`0001-01-01T00:00:00Z`).
    private static func time(_ o: JSONObject, _ key: String, path: String) throws(AdminError) -> Timestamp? {
        guard let s = try string(o, key, path: path), !s.isEmpty else { return nil }
        guard let t = IntakeText.timestamp(s) else {
            throw bad(
                "\(join(path, key)) '\(IntakeText.clip(s))' is not an RFC 3339 time; expected e.g. 2026-11-27T18:00:00Z")
        }
        return t.civil.year <= 1 ? nil : t
    }

    private static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }
}
