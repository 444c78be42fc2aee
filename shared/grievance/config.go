package grievance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Right ids of the module (openIMIS defaults) and Redress's additions.
const (
	RightQueryTickets     = "127000"
	RightCreateTickets    = "127001"
	RightUpdateTickets    = "127002"
	RightDeleteTickets    = "127003"
	RightQueryComments    = "127004"
	RightCreateComment    = "127005"
	RightResolveGrievance = "127006"
	RightConfidential     = "127007"
)

// Dict is a JSON object whose key order is kept, because the module exposes
// several configuration dictionaries as lists in their configured order.
type Dict[V any] struct {
	Keys   []string
	Values map[string]V
}

// Get returns the value for key and whether it is present.
func (d Dict[V]) Get(key string) (V, bool) {
	v, ok := d.Values[key]
	return v, ok
}

// Set adds or replaces key, keeping the first position of an existing key.
func (d *Dict[V]) Set(key string, v V) {
	if d.Values == nil {
		d.Values = map[string]V{}
	}
	if _, ok := d.Values[key]; !ok {
		d.Keys = append(d.Keys, key)
	}
	d.Values[key] = v
}

// UnmarshalJSON decodes an object, keeping key order and rejecting duplicates.
func (d *Dict[V]) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return fmt.Errorf("must be an object")
	}
	*d = Dict[V]{Values: map[string]V{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key := tok.(string)
		if _, dup := d.Values[key]; dup {
			return fmt.Errorf("key %q appears twice", key)
		}
		var v V
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("%q: %w", key, err)
		}
		d.Keys = append(d.Keys, key)
		d.Values[key] = v
	}
	_, err = dec.Token()
	return err
}

// MarshalJSON encodes the object in key order.
func (d Dict[V]) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range d.Keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		vb, err := json.Marshal(d.Values[k])
		if err != nil {
			return nil, err
		}
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// RoleIDs is a list of role ids. openIMIS configures them as integers and
// shows them as strings; both spellings are accepted.
type RoleIDs []string

// UnmarshalJSON accepts a list of strings and/or integers.
func (r *RoleIDs) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("must be a list of role ids")
	}
	out := make(RoleIDs, 0, len(raw))
	for _, m := range raw {
		var s string
		if err := json.Unmarshal(m, &s); err == nil {
			out = append(out, s)
			continue
		}
		var n json.Number
		dec := json.NewDecoder(bytes.NewReader(m))
		dec.UseNumber()
		if err := dec.Decode(&n); err != nil {
			return fmt.Errorf("role id %s must be a string or an integer", m)
		}
		if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
			return fmt.Errorf("role id %s must be a string or an integer", m)
		}
		out = append(out, n.String())
	}
	*r = out
	return nil
}

// Config is the module configuration: the openIMIS keys (same names, same
// defaults) plus Redress's own. A stored document is merged over the
// defaults key by key, as openIMIS does.
type Config struct {
	QueryTicketsPerms     []string `json:"gql_query_tickets_perms"`
	QueryCommentsPerms    []string `json:"gql_query_comments_perms"`
	CreateTicketsPerms    []string `json:"gql_mutation_create_tickets_perms"`
	UpdateTicketsPerms    []string `json:"gql_mutation_update_tickets_perms"`
	DeleteTicketsPerms    []string `json:"gql_mutation_delete_tickets_perms"`
	CreateCommentPerms    []string `json:"gql_mutation_create_comment_perms"`
	ResolveGrievancePerms []string `json:"gql_mutation_resolve_grievance_perms"`
	// Comment edits: the author needs UpdateOwnCommentPerms, anyone else
	// UpdateCommentPerms (likewise for delete).
	UpdateOwnCommentPerms []string `json:"gql_mutation_update_own_comment_perms"`
	UpdateCommentPerms    []string `json:"gql_mutation_update_comment_perms"`
	DeleteOwnCommentPerms []string `json:"gql_mutation_delete_own_comment_perms"`
	DeleteCommentPerms    []string `json:"gql_mutation_delete_comment_perms"`
	ConfigPerms           []string `json:"gql_mutation_update_config_perms"`
	ConfidentialPerms     []string `json:"gql_query_confidential_perms"`
	// StatisticsPerms grants grievanceStatistics.
	StatisticsPerms []string `json:"gql_query_statistics_perms"`
	// CreateAttachmentPerms grants uploading evidence to a visible ticket
	// (its attending staff may without it) and deleting one's own uploads.
	CreateAttachmentPerms []string `json:"gql_mutation_create_attachment_perms"`
	// AttachmentContentTypes are the media types accepted for upload;
	// AttachmentMaxBytes is the largest file (docs/attachments.md).
	AttachmentContentTypes []string `json:"attachment_content_types"`
	AttachmentMaxBytes     int64    `json:"attachment_max_bytes"`

	TicketsAttachmentsRootPath *string `json:"tickets_attachments_root_path"`

	GrievanceTypes []string `json:"grievance_types"`
	// RetiredGrievanceTypes are types no longer offered (no new tickets,
	// no moves into them) whose per-type entries, above all their
	// anonymized fields and restriction, still govern the tickets that
	// carry them (docs/confidentiality.md, write-path rules).
	RetiredGrievanceTypes []string `json:"retired_grievance_types"`
	GrievanceFlags        []string `json:"grievance_flags"`
	GrievanceChannels     []string `json:"grievance_channels"`
	// GrievancePriorities are the priorities statistics count by name;
	// tickets keep openIMIS's free-text priority, and any other value
	// counts as StatsOther (docs/configuration.md).
	GrievancePriorities       []string            `json:"grievance_priorities"`
	DefaultResponses          Dict[string]        `json:"default_responses"`
	GrievanceAnonymizedFields Dict[[]string]      `json:"grievance_anonymized_fields"`
	ResolutionTimes           string              `json:"resolution_times"`
	DefaultResolution         Dict[string]        `json:"default_resolution"`
	AttendingStaffRoleIDs     RoleIDs             `json:"attending_staff_role_ids"`
	DefaultAttendingStaffRole Dict[RoleIDs]       `json:"default_attending_staff_role_ids"`
	RoleRights                map[string][]string `json:"role_rights"`
	// GroupRoles gives the members of each user-pool group their
	// directory roles (docs/directory.md): the staff sync derives a
	// user's roles from their groups through it.
	GroupRoles map[string]RoleIDs `json:"group_roles"`
	// RestrictedCategories maps a grievance type to the rights (any of
	// them) a reader needs to see its tickets at all.
	RestrictedCategories Dict[[]string] `json:"restricted_categories"`
	// DefaultValidationsDisabled is accepted for openIMIS compatibility;
	// Redress always validates.
	DefaultValidationsDisabled bool `json:"default_validations_disabled"`

	// Service levels (docs/sla.md). SLAAtRiskShare is the share of a
	// ticket's period left at which it turns AT_RISK; SLAReopenPolicy says
	// whether reopening starts a new period (ReopenNewPeriod) or keeps the
	// due date (ReopenKeep); EscalationLevels lists, per grievance type, who
	// a ticket goes to after so many hours past its due date.
	SLAAtRiskShare   float64                 `json:"sla_at_risk_share"`
	SLAReopenPolicy  string                  `json:"sla_reopen_policy"`
	EscalationLevels Dict[[]EscalationLevel] `json:"escalation_levels"`

	// AnonymousGrievanceConfig lets a signed-out caller read
	// grievanceConfig (types, flags, channels, default staff roles and
	// resolution times): the openIMIS web client's always-mounted
	// configuration dialog asks for it on the login page. Off by default.
	AnonymousGrievanceConfig bool `json:"anonymous_grievance_config"`
	// Notifications holds the templates and rules of the notifier
	// (docs/notifications.md).
	Notifications NotificationConfig `json:"notifications"`

	// Intake configures complaints filed from outside (docs/intake.md).
	Intake IntakeConfig `json:"intake"`
}

// Admin group default; the edge may configure another.
const DefaultAdminGroup = "GrievanceAdmin"

// DefaultConfig returns the configuration used when nothing is stored.
func DefaultConfig() *Config {
	all := []string{RightQueryTickets, RightCreateTickets, RightUpdateTickets, RightDeleteTickets,
		RightQueryComments, RightCreateComment, RightResolveGrievance}
	c := &Config{
		QueryTicketsPerms:     []string{RightQueryTickets},
		QueryCommentsPerms:    []string{RightQueryComments},
		CreateTicketsPerms:    []string{RightCreateTickets},
		UpdateTicketsPerms:    []string{RightUpdateTickets},
		DeleteTicketsPerms:    []string{RightDeleteTickets},
		CreateCommentPerms:    []string{RightCreateComment},
		ResolveGrievancePerms: []string{RightResolveGrievance},
		UpdateOwnCommentPerms: []string{RightCreateComment},
		UpdateCommentPerms:    []string{RightUpdateTickets},
		DeleteOwnCommentPerms: []string{RightCreateComment},
		DeleteCommentPerms:    []string{RightUpdateTickets},
		// An empty list would let everyone in; the admin group passes anyway.
		ConfigPerms:       []string{"127099"},
		ConfidentialPerms: []string{RightConfidential},
		StatisticsPerms:   []string{RightQueryTickets},
		// Attaching evidence is commenting with a file.
		CreateAttachmentPerms:  []string{RightCreateComment},
		AttachmentContentTypes: []string{"image/jpeg", "image/png", "application/pdf"},
		AttachmentMaxBytes:     10 << 20,
		SLAAtRiskShare:         0.25,
		SLAReopenPolicy:        ReopenNewPeriod,
		GrievanceTypes:         []string{"Default", "Category A", "Category B"},
		GrievanceFlags:         []string{"Default", "Flag A", "Flag B"},
		GrievanceChannels:      []string{"Default", "Channel A", "Channel B"},
		// The openIMIS front end offers Critical, High, Normal and Low; its
		// tests and the newer module's ordering use Medium.
		GrievancePriorities: []string{"Critical", "High", "Medium", "Normal", "Low"},
		ResolutionTimes:     "5,0",
		RoleRights: map[string][]string{
			"GrievanceOfficer": all,
			"GrievanceViewer":  {RightQueryTickets, RightQueryComments},
			"GbvSpecialist":    append(slices.Clone(all), RightConfidential),
		},
	}
	c.GroupRoles = map[string]RoleIDs{
		"GrievanceOfficer": {"1", "2"}, "GrievanceAdmin": {"1"}, "GrievanceViewer": {"3"}, "GbvSpecialist": {"1", "2"},
	}
	c.DefaultResponses.Set("Default", "Default")
	c.GrievanceAnonymizedFields.Set("Default", []string{})
	c.DefaultResolution.Set("Default", "5,0")
	c.DefaultResolution.Set("Category A", "4,0")
	c.DefaultResolution.Set("Category B", "6,12")
	c.DefaultAttendingStaffRole.Set("Default", RoleIDs{"1", "2"})
	c.RestrictedCategories = Dict[[]string]{Values: map[string][]string{}}
	c.EscalationLevels = Dict[[]EscalationLevel]{Values: map[string][]EscalationLevel{}}
	c.Notifications = DefaultNotifications()
	c.Intake = defaultIntakeConfig()
	return c
}

// ParseConfig merges a stored configuration document over the defaults and
// validates the result. An empty document gives the defaults. Unknown keys,
// wrong types and values that would make the module behave wrongly are
// errors naming the key, never warnings.
func ParseConfig(doc []byte) (*Config, error) {
	c := DefaultConfig()
	if len(bytes.TrimSpace(doc)) > 0 {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(doc, &raw); err != nil {
			return nil, Errorf(CodeInvalid, "The configuration must be a JSON object: %v.", err)
		}
		known := configKeys()
		keys := make([]string, 0, len(raw))
		for k := range raw {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !known[k] {
				return nil, Errorf(CodeInvalid, "Unknown configuration key %q.", k)
			}
		}
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.DisallowUnknownFields()
		// Decoding over the defaults replaces exactly the keys present: the
		// shallow merge openIMIS performs.
		if err := dec.Decode(c); err != nil {
			return nil, Errorf(CodeInvalid, "Invalid configuration: %s.", strings.TrimPrefix(err.Error(), "json: "))
		}
		c.pruneDefaults(raw)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// pruneDefaults drops, from the per-type dictionaries the document did not
// set, default entries for types the document no longer lists: narrowing
// grievance_types must not fail on keys the administrator never wrote.
// Keys the document sets itself are still validated strictly.
func (c *Config) pruneDefaults(given map[string]json.RawMessage) {
	types := c.knownTypes()
	prune := func(name string, keys *[]string, del func(string)) {
		if _, ok := given[name]; ok {
			return
		}
		kept := (*keys)[:0]
		for _, k := range *keys {
			if types[k] {
				kept = append(kept, k)
			} else {
				del(k)
			}
		}
		*keys = kept
	}
	prune("default_responses", &c.DefaultResponses.Keys, func(k string) { delete(c.DefaultResponses.Values, k) })
	prune("grievance_anonymized_fields", &c.GrievanceAnonymizedFields.Keys, func(k string) { delete(c.GrievanceAnonymizedFields.Values, k) })
	prune("default_resolution", &c.DefaultResolution.Keys, func(k string) { delete(c.DefaultResolution.Values, k) })
	prune("default_attending_staff_role_ids", &c.DefaultAttendingStaffRole.Keys, func(k string) { delete(c.DefaultAttendingStaffRole.Values, k) })
}

func configKeys() map[string]bool {
	keys := map[string]bool{}
	b, _ := json.Marshal(DefaultConfig())
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	for k := range m {
		keys[k] = true
	}
	return keys
}

// Validate checks the configuration's internal consistency.
func (c *Config) Validate() error {
	for name, list := range map[string][]string{
		"grievance_types": c.GrievanceTypes, "grievance_flags": c.GrievanceFlags, "grievance_channels": c.GrievanceChannels,
		"retired_grievance_types": c.RetiredGrievanceTypes,
		"grievance_priorities":    c.GrievancePriorities,
	} {
		seen := map[string]bool{}
		for _, v := range list {
			if strings.TrimSpace(v) == "" {
				return Errorf(CodeInvalid, "%s must not contain empty values.", name)
			}
			if len(v) > maxShortText {
				return Errorf(CodeInvalid, "%s value %q is longer than %d characters.", name, v, maxShortText)
			}
			if seen[v] {
				return Errorf(CodeInvalid, "%s lists %q twice.", name, v)
			}
			seen[v] = true
		}
	}
	if _, err := ParseResolution(c.ResolutionTimes); err != nil || c.ResolutionTimes == "" {
		return Errorf(CodeInvalid, "resolution_times %q must be \"days,hours\" with days below 99 and hours below 24.", c.ResolutionTimes)
	}
	for _, t := range c.RetiredGrievanceTypes {
		if slices.Contains(c.GrievanceTypes, t) {
			return Errorf(CodeInvalid, "%q is both in grievance_types and in retired_grievance_types.", t)
		}
	}
	types := c.knownTypes()
	checkKeys := func(name string, keys []string) error {
		for _, k := range keys {
			if !types[k] {
				return Errorf(CodeInvalid, "%s has key %q, which is not one of grievance_types (%s) or retired_grievance_types.", name, k, quoteList(c.GrievanceTypes))
			}
		}
		return nil
	}
	for _, d := range []struct {
		name string
		keys []string
	}{
		{"default_responses", c.DefaultResponses.Keys},
		{"grievance_anonymized_fields", c.GrievanceAnonymizedFields.Keys},
		{"default_resolution", c.DefaultResolution.Keys},
		{"default_attending_staff_role_ids", c.DefaultAttendingStaffRole.Keys},
		{"restricted_categories", c.RestrictedCategories.Keys},
		{"escalation_levels", c.EscalationLevels.Keys},
	} {
		if err := checkKeys(d.name, d.keys); err != nil {
			return err
		}
	}
	for _, k := range c.DefaultResolution.Keys {
		v := c.DefaultResolution.Values[k]
		if v == "" {
			continue // openIMIS fills empty entries with resolution_times
		}
		if _, err := ParseResolution(v); err != nil {
			return Errorf(CodeInvalid, "default_resolution[%q] = %q: %s", k, v, ErrorMessage(err))
		}
	}
	for _, k := range c.GrievanceAnonymizedFields.Keys {
		for _, f := range c.GrievanceAnonymizedFields.Values[k] {
			if !AnonymizableField(f) {
				return Errorf(CodeInvalid, "grievance_anonymized_fields[%q] lists %q, which is not a ticket field that can be anonymized (%s).", k, f, quoteList(anonymizableFields))
			}
		}
	}
	for _, k := range c.RestrictedCategories.Keys {
		if len(c.RestrictedCategories.Values[k]) == 0 {
			return Errorf(CodeInvalid, "restricted_categories[%q] must list at least one right.", k)
		}
	}
	if err := c.validateAttachments(); err != nil {
		return err
	}
	if err := c.validateSLA(); err != nil {
		return err
	}
	if err := c.Notifications.validate(c); err != nil {
		return err
	}
	for g, roles := range c.GroupRoles {
		if strings.TrimSpace(g) == "" {
			return Errorf(CodeInvalid, "group_roles has an empty group name.")
		}
		for _, r := range roles {
			if strings.TrimSpace(r) == "" {
				return Errorf(CodeInvalid, "group_roles[%q] contains an empty role id.", g)
			}
		}
	}
	if err := c.validateIntake(); err != nil {
		return err
	}
	for g, rights := range c.RoleRights {
		for _, r := range rights {
			if strings.TrimSpace(r) == "" {
				return Errorf(CodeInvalid, "role_rights[%q] contains an empty right.", g)
			}
		}
	}
	return nil
}

// knownTypes returns the grievance types tickets may carry: the offered
// ones and the retired ones.
func (c *Config) knownTypes() map[string]bool {
	types := map[string]bool{}
	for _, t := range c.GrievanceTypes {
		types[t] = true
	}
	for _, t := range c.RetiredGrievanceTypes {
		types[t] = true
	}
	return types
}

// checkKeepsConfidentiality refuses a new configuration that drops a type
// whose tickets the current one keeps confidential: removing the type would
// remove its rules with it and expose those tickets. Such a type is retired
// instead; lifting its rules is a separate, deliberate change.
func (c *Config) checkKeepsConfidentiality(next *Config) error {
	kept := next.knownTypes()
	for _, t := range append(slices.Clone(c.GrievanceTypes), c.RetiredGrievanceTypes...) {
		if c.Confidential(t) && !kept[t] {
			return Errorf(CodeInvalid, "Grievance type %q has confidentiality rules that its tickets keep: list it in retired_grievance_types instead of removing it.", t)
		}
	}
	return nil
}

// DefaultResolutionFor returns the resolution time configured for a
// category: its default_resolution entry, else resolution_times.
func (c *Config) DefaultResolutionFor(category string) string {
	if v, ok := c.DefaultResolution.Get(category); ok && v != "" {
		return v
	}
	return c.ResolutionTimes
}

// Confidential reports whether tickets of category are confidential:
// restricted to some readers or with anonymized fields. Such tickets leave
// the grievance store (events) with ids and workflow state only.
func (c *Config) Confidential(category string) bool {
	if _, ok := c.RestrictedCategories.Get(category); ok {
		return true
	}
	fields, _ := c.GrievanceAnonymizedFields.Get(category)
	return len(fields) > 0
}

// GroupPrincipal is the principal of user id (username) in groups: the
// rights role_rights gives those groups, and every right in adminGroup
// (DefaultAdminGroup when ""). The API judges a token's claims with it, the
// notifier a directory user.
func (c *Config) GroupPrincipal(id, username string, groups []string, adminGroup string) *Principal {
	if adminGroup == "" {
		adminGroup = DefaultAdminGroup
	}
	p := &Principal{ID: id, Username: username, Groups: groups, Rights: c.RightsOf(groups)}
	p.Admin = p.InGroup([]string{adminGroup})
	return p
}

// RightsOf returns the rights the configuration gives to members of groups.
func (c *Config) RightsOf(groups []string) map[string]bool {
	rights := map[string]bool{}
	for _, g := range groups {
		for _, r := range c.RoleRights[g] {
			rights[r] = true
		}
	}
	return rights
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// validateAttachments checks the accepted media types (each a plain
// type/subtype in lower case, as they are compared; no wildcards, which
// would let anything in) and the size limit (sizes travel as GraphQL Int,
// 32 bits).
func (c *Config) validateAttachments() error {
	seen := map[string]bool{}
	for _, t := range c.AttachmentContentTypes {
		mt, params, err := mime.ParseMediaType(t)
		if err != nil || len(params) > 0 || mt != t || strings.Contains(t, "*") || !strings.Contains(t, "/") {
			return Errorf(CodeInvalid, "attachment_content_types lists %q, which is not a media type written type/subtype in lower case.", t)
		}
		if seen[t] {
			return Errorf(CodeInvalid, "attachment_content_types lists %q twice.", t)
		}
		seen[t] = true
	}
	if c.AttachmentMaxBytes < 1 || c.AttachmentMaxBytes > maxAttachmentBytesLimit {
		return Errorf(CodeInvalid, "attachment_max_bytes must be between 1 and %d.", int64(maxAttachmentBytesLimit))
	}
	return nil
}
