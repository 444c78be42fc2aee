package grievance

import (
	"encoding/json"
	"slices"
)

func cloneJSONObject(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return m
	}
	var c map[string]any
	if json.Unmarshal(b, &c) != nil {
		return m
	}
	return c
}

func checkJSONExt(m map[string]any) error {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return Errorf(CodeInvalid, "jsonExt is not a JSON object.")
	}
	if len(b) > maxJSONExtSize {
		return Errorf(CodeInvalid, "jsonExt is %d bytes; the limit is %d.", len(b), maxJSONExtSize)
	}
	return nil
}

// ParseJSONExt parses a client-supplied jsonExt document (a JSON object).
func ParseJSONExt(s string) (map[string]any, error) {
	if len(s) > maxJSONExtSize {
		return nil, Errorf(CodeInvalid, "jsonExt is %d bytes; the limit is %d.", len(s), maxJSONExtSize)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil || m == nil {
		return nil, Errorf(CodeInvalid, "jsonExt must be a JSON object.")
	}
	return m, nil
}

// anonymizableFields are the ticket fields (openIMIS snake_case names) that
// grievance_anonymized_fields may list.
var anonymizableFields = []string{
	"title", "description", "key", "reporter", "attending_staff", "date_of_incident",
	"priority", "flags", "channel", "resolution", "due_date", "json_ext",
}

// AnonymizableField reports whether name can be anonymized.
func AnonymizableField(name string) bool { return slices.Contains(anonymizableFields, name) }
