package auth

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// RenderClaims flattens JWT claims into the map[string]string that API
// Gateway puts in requestContext.authorizer.jwt.claims: strings as they
// are, numbers as decimal text, booleans as "true"/"false", arrays as
// "[a b]" (so cognito:groups arrives as "[GrievanceOfficer GrievanceAdmin]")
// and objects as JSON text. Principal parses these strings, so every edge
// (the JWT authorizer, the openIMIS client mode's Lambda authorizer, the
// local gateway) must produce exactly this.
func RenderClaims(claims map[string]any) map[string]string {
	out := make(map[string]string, len(claims))
	for k, v := range claims {
		out[k] = renderClaim(v)
	}
	return out
}

func renderClaim(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = renderClaim(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case []string:
		return "[" + strings.Join(x, " ") + "]"
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}
