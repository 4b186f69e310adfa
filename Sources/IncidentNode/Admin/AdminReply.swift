import AdminProtocol
import AetherJSON

/// What a handled admin request answers: a JSON result, or an ingest's results, which are written
/// straight into the reply line — a storm's batch has a result per alert, and building them as JSON
/// values first cost more than the ingest itself. Both give the same bytes for the same results
/// (`AdminReplyTests`): the general path of `alert.ingest[_batch]` still returns `render`'s JSON.
enum AdminReply: Sendable {
    case json(JSONValue)
    /// `alert.ingest` (one result, the result itself) or `alert.ingest_batch` (`{"results": […]}`).
    case ingested([IncidentService.IngestResult], batch: Bool)

    /// Appends `{"id":…,"ok":true,"result":…}\n`; with `replicas`, every `"replicas": null` in the
    /// result is written as that count (`AdminResponse.writeSuccess`).
    func write(id: JSONValue, replicas: Int?, into out: inout [UInt8]) {
        switch self {
        case .json(let result):
            AdminResponse.writeSuccess(id: id, result: result, replicas: replicas, into: &out)
        case .ingested(let results, let batch):
            AdminResponse.writeSuccess(id: id, into: &out) { out in
                if batch { out.append(contentsOf: #"{"results":["#.utf8) }
                for (k, r) in results.enumerated() {
                    out.append(contentsOf: k == 0 ? #"{"incident_id":"#.utf8 : #",{"incident_id":"#.utf8)
                    if let id = r.incidentID { JSONSerializer.writeString(id.text, into: &out) } else { out.append(contentsOf: "null".utf8) }
                    out.append(contentsOf: r.created ? #","created":true,"dedup_key":"#.utf8 : #","created":false,"dedup_key":"#.utf8)
                    JSONSerializer.writeString(r.dedupKey, into: &out)
                    out.append(contentsOf: #","replicas":"#.utf8)
                    if let n = r.forwardedReplicas ?? replicas { JSONSerializer.writeInt(Int64(n), into: &out) } else { out.append(contentsOf: "null".utf8) }
                    out.append(0x7D)
                }
                if batch { out.append(contentsOf: "]}".utf8) }
            }
        }
    }

    /// One ingest result as JSON. `replicas: null` is filled in by the admin server once the write's
    /// quorum wait is over; alerts taken by their key's decider carry that node's count.
    static func render(_ r: IncidentService.IngestResult) -> JSONObject {
        ["incident_id": r.incidentID.map { .string($0.text) } ?? .null, "created": .bool(r.created), "dedup_key": .string(r.dedupKey), "replicas": r.forwardedReplicas.map { .int(Int64($0)) } ?? .null]
    }
}
