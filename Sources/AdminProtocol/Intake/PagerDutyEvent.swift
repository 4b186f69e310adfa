import AetherJSON
import IncidentCore

/// PagerDuty Events API v2 (`POST /v2/enqueue`, SPEC §5): decodes one alert event into an Aether `Alert`.
///
/// Mapping (trigger): `payload.summary` → title (shortened at the title limit, the full text then starts
/// the description), `payload.source` → source, `payload.severity` → a monitoring level,
/// `payload.component` → component, `payload.group` / `payload.class` → labels `group` / `class`,
/// `payload.custom_details` → the description (compact JSON; a string is used as is) plus one label per
/// string leaf (nested keys joined with `.`; explicit labels win; names or values over the label limits and
/// labels beyond the count limit are left out of labels but stay in the description),
/// `payload.timestamp` → timestamp, `links` → links, `client_url` → one more link (text = `client`) when
/// there is room, `dedup_key` → dedupKey (generated when absent or blank on a trigger).
/// acknowledge/resolve: only `dedup_key` is used (required); their `payload` is ignored, as PagerDuty does.
/// `images` are checked but not kept. The routing key is returned untouched; mapping it to a service is
/// the caller's job.
public enum PagerDutyEvents {
    /// PagerDuty's limit on `dedup_key`, in characters (Unicode scalars).
    public static let dedupKeyMaxCharacters = 255
    /// PagerDuty's limit on `payload.summary`, in characters (Unicode scalars).
    public static let summaryMaxCharacters = 1024
    /// The `payload.severity` values PagerDuty accepts (lowercase only).
    public static let severities = ["critical", "error", "warning", "info"]

    /// An accepted event: a valid Aether alert, plus what the caller needs to route and answer it.
    public struct Accepted: Sendable, Equatable {
        /// The alert (always passes `Alert.validate` with the limits given to `decode`).
        public var alert: Alert
        /// The event's `routing_key`, as sent; the caller maps it to a service.
        public var routingKey: String
        /// The dedup key to answer with: the event's, or the generated one.
        public var dedupKey: String

        /// Creates an accepted event.
        public init(alert: Alert, routingKey: String, dedupKey: String) {
            self.alert = alert
            self.routingKey = routingKey
            self.dedupKey = dedupKey
        }
    }

    /// A rejected event: every problem found, as PagerDuty words them, and the 400 body to send.
    public struct Rejection: Error, Equatable, Sendable {
        /// One message per problem, each naming the field (`'payload.summary' is missing or blank`).
        public var errors: [String]
        /// `{"status":"invalid event","message":"Event object is invalid","errors":[…]}`.
        public var body: JSONValue

        /// Creates a rejection and its body from the messages.
        public init(errors: [String]) {
            self.errors = errors
            body = [
                "status": "invalid event", "message": "Event object is invalid",
                "errors": .array(errors.map { .string($0) }),
            ]
        }
    }

    /// Decodes and validates one event body.
    /// - Parameters:
    ///   - body: the request body (JSON).
    ///   - generateKey: makes a dedup key for a trigger without one; called at most once, and only for an
    ///     event that is otherwise valid.
    ///   - limits: Aether's alert limits, checked too so an accepted event is always a valid alert.
    /// - Returns: the accepted event, or a rejection listing all problems found. Never traps.
    public static func decode(
        _ body: [UInt8], generateKey: () -> String, limits: AlertLimits = AlertLimits()
    ) -> Result<Accepted, Rejection> {
        let value: JSONValue
        do { value = try JSONParser.parse(body) } catch {
            return .failure(Rejection(errors: ["Event is not valid JSON: \(error.message)"]))
        }
        guard case .object(let event) = value else {
            return .failure(Rejection(errors: ["Event is \(value.typeWithArticle); expected a JSON object"]))
        }
        var reader = PagerDutyReader(limits: limits)
        let parsed = reader.read(event)
        guard reader.errors.isEmpty, var alert = parsed.alert else { return .failure(Rejection(errors: reader.errors)) }
        let dedupKey = alert.dedupKey ?? generateKey()
        alert.dedupKey = dedupKey
        do { try alert.validate(limits: limits) } catch {
            return .failure(Rejection(errors: [error.message]))
        }
        return .success(Accepted(alert: alert, routingKey: parsed.routingKey, dedupKey: dedupKey))
    }

    /// The 202 body: `{"status":"success","message":"Event processed","dedup_key":…}`.
    public static func successBody(dedupKey: String) -> JSONValue {
        ["status": "success", "message": "Event processed", "dedup_key": .string(dedupKey)]
    }
}
