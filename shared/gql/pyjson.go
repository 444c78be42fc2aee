package gql

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"

	"github.com/redress-grm/redress/shared/grievance"
)

// Person type ids stand in for openIMIS's ContentType ids (reporterType,
// commenterType). They are fixed so that clients may store them:
// individual 1, beneficiary 2, user 3.
var personTypeIDs = map[grievance.PersonType]int{
	grievance.PersonIndividual:  1,
	grievance.PersonBeneficiary: 2,
	grievance.PersonUser:        3,
}

// kv is one member of an ordered JSON object.
type kv struct {
	k string
	v any
}

// pyJSON renders v the way Python's json.dumps does by default (", " and
// ": " separators), which is what openIMIS puts in JSONString fields.
// Maps are written with sorted keys so that output is stable; []kv keeps
// its order.
func pyJSON(v any) string {
	var b bytes.Buffer
	writePy(&b, v)
	return b.String()
}

func writePy(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case []kv:
		writeSeq(b, '{', '}', len(x), func(i int) { writePyMember(b, x[i].k, x[i].v) })
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		writeSeq(b, '{', '}', len(keys), func(i int) { writePyMember(b, keys[i], x[keys[i]]) })
	case []any:
		writeSeq(b, '[', ']', len(x), func(i int) { writePy(b, x[i]) })
	case []string:
		writeSeq(b, '[', ']', len(x), func(i int) { writePyString(b, x[i]) })
	case string:
		writePyString(b, x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			b.WriteString("null")
			return
		}
		b.Write(raw)
	}
}

// writeSeq writes n items between open and end, separated by Python's
// ", "; item writes the i-th.
func writeSeq(b *bytes.Buffer, open, end byte, n int, item func(i int)) {
	b.WriteByte(open)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		item(i)
	}
	b.WriteByte(end)
}

// writePyMember writes one object member, "key": value.
func writePyMember(b *bytes.Buffer, k string, v any) {
	writePyString(b, k)
	b.WriteString(": ")
	writePy(b, v)
}

func writePyString(b *bytes.Buffer, s string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Write(bytes.TrimRight(buf.Bytes(), "\n"))
}

// personJSON is the reporter/commenter record as openIMIS shows it: the
// record's columns with camelCase keys. The fields Redress's directory
// keeps are those of the openIMIS models the client reads (jsonExt for
// phone and email, names and dob for individuals).
func personJSON(p *grievance.Person) string {
	ext := registryJSONExt(p)
	obj := []kv{{"id", p.ID}, {"isDeleted", false}, {"jsonExt", ext}, {"version", 1}}
	opt := func(k, v string) {
		if v == "" {
			obj = append(obj, kv{k, nil})
		} else {
			obj = append(obj, kv{k, v})
		}
	}
	switch p.Type {
	case grievance.PersonIndividual:
		opt("firstName", p.FirstName)
		opt("lastName", p.LastName)
		opt("dob", p.Dob)
	case grievance.PersonBeneficiary:
		opt("individualId", p.IndividualID)
	case grievance.PersonUser:
		opt("username", p.Username)
		opt("lastName", p.LastName)
		opt("otherNames", p.FirstName)
	}
	return pyJSON(obj)
}

// doubleEncoded returns the JSONString value openIMIS sends for reporter
// and commenter: the record's JSON text, encoded once more as a JSON
// string. The openIMIS client depends on this (JSON.parse(JSON.parse(x))).
func doubleEncoded(inner string) string {
	var b bytes.Buffer
	writePyString(&b, inner)
	return b.String()
}

// ticketJSONExt renders a ticket's jsonExt. comment_ids is always present
// (possibly empty): the client parses it for closed tickets and history
// rows and would fail on a missing list.
func ticketJSONExt(t *grievance.Ticket) string {
	ext := t.JSONExt
	if _, ok := ext["comment_ids"]; !ok {
		c := make(map[string]any, len(ext)+1)
		maps.Copy(c, ext)
		c["comment_ids"] = []any{}
		ext = c
	}
	return pyJSON(ext)
}
