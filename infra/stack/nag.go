package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Nag runs cdk-nag's AwsSolutions pack over everything in app when it is
// synthesized: `cdk synth` (infra/main.go) and the tests both call it, so
// an unsuppressed finding fails a synth, not only `go test`.
func Nag(app awscdk.App) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// nagSuppress records, on the resource it concerns, why a cdk-nag rule does
// not apply. Every suppression in the stack goes through here with a reason
// a reviewer can check; docs/deploy.md lists them.
func nagSuppress(c constructs.IConstruct, rule, reason string) {
	cdknag.NagSuppressions_AddResourceSuppressions(c,
		&[]*cdknag.NagPackSuppression{{Id: jsii.String(rule), Reason: jsii.String(reason)}}, jsii.Bool(true))
}

// nagSuppressOnly is nagSuppress for a granular rule's findings: only the
// named ones (cdk-nag's appliesTo, e.g. "Resource::*") are suppressed, so
// a later wildcard elsewhere on the same resource is still reported.
func nagSuppressOnly(c constructs.IConstruct, rule, reason string, findings ...string) {
	applies := make([]interface{}, len(findings))
	for i, f := range findings {
		applies[i] = f
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c,
		&[]*cdknag.NagPackSuppression{{Id: jsii.String(rule), Reason: jsii.String(reason), AppliesTo: &applies}}, jsii.Bool(true))
}

// nagSuppressFindings is nagSuppressOnly for the findings that match a
// regular expression (cdk-nag's appliesTo regex form, "/…/g"), e.g. one
// resource's ARN under some prefixes.
func nagSuppressFindings(c constructs.IConstruct, rule, reason string, regexes ...string) {
	applies := make([]interface{}, len(regexes))
	for i, r := range regexes {
		applies[i] = &cdknag.RegexAppliesTo{Regex: jsii.String(r)}
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c,
		&[]*cdknag.NagPackSuppression{{Id: jsii.String(rule), Reason: jsii.String(reason), AppliesTo: &applies}}, jsii.Bool(true))
}
