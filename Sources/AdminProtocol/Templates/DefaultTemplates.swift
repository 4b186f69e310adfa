/// The built-in communication templates, adapted from the seed's "Incident Communication Templates".
///
/// Each template's first line is `Subject: …` (for email; chat channels may drop it), then a blank
/// line, then the body. Fields used: `incident.{id,title,severity,priority,status,service,detected_at,
/// assignee,war_room_link,timeline[{at,kind,actor}]}`, `update.{message,next_steps,eta}`,
/// `resolution.{summary,root_cause}` and `review.action_items[{description,owner,due}]`.
public enum DefaultTemplates {
    /// Sent when an incident opens (`initial_notification`).
    public static let initialNotification = """
        Subject: Incident {{incident.id}}: {{incident.title}}

        *INCIDENT DETECTED*
        *ID*: {{incident.id}}
        *Title*: {{incident.title}}
        *Severity*: {{incident.severity}}{% if incident.priority %} ({{incident.priority}}){% endif %}
        *Status*: {% if incident.status %}{{incident.status}}{% else %}Investigating{% endif %}
        *Service*: {{incident.service}}
        *Detected*: {{incident.detected_at}}
        *Assignee*: {% if incident.assignee %}{{incident.assignee}}{% else %}unassigned{% endif %}
        {% if incident.war_room_link %}

        War room: {{incident.war_room_link}}
        {% endif %}

        Next update in 15 minutes.

        """

    /// Sent with each status update (`status_update`).
    public static let statusUpdate = """
        Subject: Incident {{incident.id}} Update

        *INCIDENT UPDATE*
        *ID*: {{incident.id}}
        *Title*: {{incident.title}}
        *Status*: {{incident.status}}
        *Update*: {{update.message}}
        *Next steps*: {% if update.next_steps %}{{update.next_steps}}{% else %}none given{% endif %}
        *ETA*: {% if update.eta %}{{update.eta}}{% else %}unknown{% endif %}
        {% if incident.timeline %}

        Timeline:
        {% for event in incident.timeline %}
        - {{event.at}} {{event.kind}} ({{event.actor}})
        {% endfor %}
        {% endif %}

        """

    /// Sent when an incident is resolved (`resolution_notification`).
    public static let resolutionNotification = """
        Subject: RESOLVED: Incident {{incident.id}}

        *INCIDENT RESOLVED*
        *ID*: {{incident.id}}
        *Title*: {{incident.title}}
        *Severity*: {{incident.severity}}
        *Resolution*: {{resolution.summary}}
        *Root cause*: {% if resolution.root_cause %}{{resolution.root_cause}}{% else %}under investigation{% endif %}

        A post-incident review will follow.

        """

    /// The post-incident review summary, in Markdown (`post_incident_summary`).
    public static let postIncidentSummary = """
        Subject: Post-Incident Review: {{incident.id}}

        # Post-Incident Review: {{incident.id}}

        ## Incident Summary
        - **Title**: {{incident.title}}
        - **Severity**: {{incident.severity}}
        - **Service**: {{incident.service}}
        - **Detected**: {{incident.detected_at}}
        - **Resolution**: {{resolution.summary}}
        - **Root Cause**: {{resolution.root_cause}}

        ## Timeline
        {% for event in incident.timeline %}
        - {{event.at}}: {{event.kind}} ({{event.actor}})
        {% endfor %}

        ## Action Items
        {% if review.action_items %}
        {% for item in review.action_items %}
        - [ ] {{item.description}} (Owner: {{item.owner}}, Due: {{item.due}})
        {% endfor %}
        {% else %}
        None recorded.
        {% endif %}

        """

    /// Every built-in template by name (the names in ``TemplateSet/names``).
    public static func all() -> [String: String] {
        [
            "initial_notification": initialNotification,
            "status_update": statusUpdate,
            "resolution_notification": resolutionNotification,
            "post_incident_summary": postIncidentSummary,
        ]
    }
}
