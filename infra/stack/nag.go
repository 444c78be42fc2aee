package stack

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// nagSuppress records, on the resource it concerns, why a cdk-nag rule does
// not apply. Every suppression in the stack goes through here with a reason
// a reviewer can check; docs/deploy.md lists them.
func nagSuppress(c constructs.IConstruct, rule, reason string) {
	cdknag.NagSuppressions_AddResourceSuppressions(c,
		&[]*cdknag.NagPackSuppression{{Id: jsii.String(rule), Reason: jsii.String(reason)}}, jsii.Bool(true))
}
