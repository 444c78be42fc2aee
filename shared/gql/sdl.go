package gql

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql"
)

// PrintSchema renders a schema in the GraphQL schema definition language,
// every list sorted by name: graphql-go keeps fields and arguments in maps,
// and docs/schema.graphql is compared byte for byte, so the order must not
// depend on map iteration. Built-in scalars and introspection types are
// left out, as every client knows them.
func PrintSchema(s graphql.Schema) string {
	var b strings.Builder
	b.WriteString("schema {\n")
	if q := s.QueryType(); q != nil {
		fmt.Fprintf(&b, "  query: %s\n", q.Name())
	}
	if m := s.MutationType(); m != nil {
		fmt.Fprintf(&b, "  mutation: %s\n", m.Name())
	}
	if sub := s.SubscriptionType(); sub != nil {
		fmt.Fprintf(&b, "  subscription: %s\n", sub.Name())
	}
	b.WriteString("}\n")

	types := s.TypeMap()
	names := make([]string, 0, len(types))
	for n := range types {
		if strings.HasPrefix(n, "__") || builtinScalars[n] {
			continue
		}
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		b.WriteString("\n")
		printType(&b, types[n])
	}
	return b.String()
}

var builtinScalars = map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}

func printType(b *strings.Builder, t graphql.Type) {
	printDescription(b, "", t.Description())
	switch t := t.(type) {
	case *graphql.Object:
		fmt.Fprintf(b, "type %s", t.Name())
		if ifs := t.Interfaces(); len(ifs) > 0 {
			names := make([]string, len(ifs))
			for i, f := range ifs {
				names[i] = f.Name()
			}
			slices.Sort(names)
			fmt.Fprintf(b, " implements %s", strings.Join(names, " & "))
		}
		printFields(b, t.Fields())
	case *graphql.Interface:
		fmt.Fprintf(b, "interface %s", t.Name())
		printFields(b, t.Fields())
	case *graphql.InputObject:
		fmt.Fprintf(b, "input %s {\n", t.Name())
		fields := t.Fields()
		for _, n := range sortedKeys(fields) {
			f := fields[n]
			printDescription(b, "  ", f.PrivateDescription)
			fmt.Fprintf(b, "  %s: %s%s\n", n, f.Type, defaultValue(f.DefaultValue))
		}
		b.WriteString("}\n")
	case *graphql.Enum:
		fmt.Fprintf(b, "enum %s {\n", t.Name())
		values := slices.Clone(t.Values())
		slices.SortFunc(values, func(a, c *graphql.EnumValueDefinition) int { return strings.Compare(a.Name, c.Name) })
		for _, v := range values {
			printDescription(b, "  ", v.Description)
			fmt.Fprintf(b, "  %s%s\n", v.Name, deprecated(v.DeprecationReason))
		}
		b.WriteString("}\n")
	case *graphql.Union:
		names := make([]string, 0, len(t.Types()))
		for _, m := range t.Types() {
			names = append(names, m.Name())
		}
		slices.Sort(names)
		fmt.Fprintf(b, "union %s = %s\n", t.Name(), strings.Join(names, " | "))
	case *graphql.Scalar:
		fmt.Fprintf(b, "scalar %s\n", t.Name())
	default:
		panic(fmt.Sprintf("gql: PrintSchema: unexpected type %T", t))
	}
}

func printFields(b *strings.Builder, fields graphql.FieldDefinitionMap) {
	b.WriteString(" {\n")
	for _, n := range sortedKeys(fields) {
		f := fields[n]
		printDescription(b, "  ", f.Description)
		b.WriteString("  " + n)
		if len(f.Args) > 0 {
			args := slices.Clone(f.Args)
			slices.SortFunc(args, func(a, c *graphql.Argument) int { return strings.Compare(a.Name(), c.Name()) })
			b.WriteString("(\n")
			for _, a := range args {
				printDescription(b, "    ", a.Description())
				fmt.Fprintf(b, "    %s: %s%s\n", a.Name(), a.Type, defaultValue(a.DefaultValue))
			}
			b.WriteString("  )")
		}
		fmt.Fprintf(b, ": %s%s\n", f.Type, deprecated(f.DeprecationReason))
	}
	b.WriteString("}\n")
}

// defaultValue renders the default values the schema uses (none today);
// anything else would need graphql-go's unexported value printer, so it
// panics rather than print something wrong.
func defaultValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return " = " + strconv.Quote(v)
	case bool:
		return " = " + strconv.FormatBool(v)
	case int:
		return " = " + strconv.Itoa(v)
	default:
		panic(fmt.Sprintf("gql: PrintSchema: default value %v of type %T", v, v))
	}
}

func deprecated(reason string) string {
	if reason == "" {
		return ""
	}
	return " @deprecated(reason: " + strconv.Quote(reason) + ")"
}

func printDescription(b *strings.Builder, indent, d string) {
	if d == "" {
		return
	}
	if !strings.Contains(d, "\n") && !strings.Contains(d, `"`) {
		fmt.Fprintf(b, "%s\"%s\"\n", indent, d)
		return
	}
	// Block strings keep quotes and line breaks as they are; only a
	// literal """ needs escaping.
	fmt.Fprintf(b, "%s\"\"\"\n", indent)
	for _, line := range strings.Split(strings.ReplaceAll(d, `"""`, `\"""`), "\n") {
		fmt.Fprintf(b, "%s%s\n", indent, line)
	}
	fmt.Fprintf(b, "%s\"\"\"\n", indent)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
