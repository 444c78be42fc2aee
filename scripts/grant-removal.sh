#!/usr/bin/env bash
# Removes each grant of infra/stack/grants.go in turn (one allow(...) call,
# or the rule dead-letter queues' resource policy) and runs the permission
# and wiring tests of infra/stack against the changed file. Every removal
# must make them fail; the script fails if one does not.
#
# Usage: bash scripts/grant-removal.sh   (from the repository root; restores
# grants.go when done or interrupted)
set -uo pipefail
f=infra/stack/grants.go
stub=infra/stack/zz_grant_removal.go
backup=$(mktemp)
cp "$f" "$backup"
trap 'cp "$backup" "$f"; rm -f "$backup" "$stub"' EXIT
# A removed grant calls these no-ops instead, so that the file still
# compiles (a call may span lines; its variables stay used).
cat > "$stub" <<'GO'
package stack

import "github.com/aws/aws-cdk-go/awscdk/v2/awslambda"

func disallow(awslambda.Function, string, []string, ...*string) {}

func disallowEventsToDLQs(*Events) {}
GO
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

mapfile -t lines < <(grep -nE '^\s*(allow\(|allowEventsToDLQs\(s\.Events\))' "$f" | cut -d: -f1)
status=0
for n in "${lines[@]}"; do
	cp "$backup" "$f"
	what=$(sed -n "${n}p" "$f" | sed -E 's/^\s+//' | cut -c1-90)
	sed -i -E "${n}s/\ballow\(/disallow(/; ${n}s/allowEventsToDLQs\(/disallowEventsToDLQs(/" "$f"
	start=$(date +%s)
	out=$(go test -count=1 -run 'TestPermissions|TestEvents' ./infra/stack 2>&1)
	secs=$(( $(date +%s) - start ))
	# A build failure would prove nothing: only a failing test counts.
	failed=$(grep -oE -- '--- FAIL: Test[A-Za-z_/]+' <<<"$out" | sort -u | tr '\n' ' ')
	if [ -z "$failed" ]; then
		echo "NOT CAUGHT  line $n: $what"
		grep -m3 -E 'cannot|undefined|declared' <<<"$out"
		status=1
	else
		echo "caught (${secs}s)  line $n: $what -> $failed"
	fi
done
exit $status
