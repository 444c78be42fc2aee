package grievance

import (
	"context"
	"slices"
)

// Principal is the person making a request, as established by an
// authenticator at the edge. Rights are the module's numeric right ids as
// strings ("127000"), the form the configuration uses.
type Principal struct {
	ID       string // stable user id (the token's sub); also the person id of staff users
	Username string
	Groups   []string
	Rights   map[string]bool
	// Admin holds every right, like openIMIS's IMIS administrator role.
	Admin bool
}

// HasAny reports whether p holds at least one of rights. As in openIMIS, an
// empty list demands nothing and an admin passes every check.
func (p *Principal) HasAny(rights []string) bool {
	if p == nil {
		return false
	}
	if len(rights) == 0 || p.Admin {
		return true
	}
	for _, r := range rights {
		if p.Rights[r] {
			return true
		}
	}
	return false
}

// InGroup reports whether p belongs to any of groups.
func (p *Principal) InGroup(groups []string) bool {
	if p == nil {
		return false
	}
	for _, g := range groups {
		if slices.Contains(p.Groups, g) {
			return true
		}
	}
	return false
}

type principalKey struct{}

// NewContext returns a context carrying p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal in ctx, or nil for an anonymous request.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
