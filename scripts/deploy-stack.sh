#!/usr/bin/env bash
# The stack half of `make deploy` (docs/deploy.md): sam deploy, guided when the stack does not
# exist yet, then a second deploy only if the origin the functions link to (the PublicBaseUrl
# output) is not the site's (the SiteUrl output). That happens on a first deploy without a
# custom domain: the distribution's name is only known once it exists, and the functions cannot
# name it in the template (the distribution depends on the API, which depends on them).
#
# The Makefile sets CONFIG_ENV (samconfig.toml's environment), STACK, REGION and GUIDED (auto:
# guided when the stack is missing; no: never, for CI). Every sam deploy gets the same
# --config-env, --stack-name and --region, and --no-fail-on-empty-changeset so that a deploy that
# changes nothing in the stack still goes on to upload the web app.
set -euo pipefail

: "${CONFIG_ENV:?}" "${STACK:?}" "${GUIDED:=auto}"
if [ -z "${REGION:-}" ]; then
  echo "make deploy: no AWS region: set REGION=…, AWS_REGION, region in samconfig.toml's [$CONFIG_ENV.deploy.parameters], or the AWS CLI's (aws configure)" >&2
  exit 1
fi

# stack_status prints the stack's status, or nothing when it does not exist (REVIEW_IN_PROGRESS:
# a first change set that was never executed, which sam deploy creates afresh); any other
# failure of the AWS CLI (credentials, network) stops the deploy with its message.
stack_status() {
  local out
  if out=$(aws cloudformation describe-stacks --stack-name "$STACK" --region "$REGION" \
    --query 'Stacks[0].StackStatus' --output text 2>&1); then
    [ "$out" = REVIEW_IN_PROGRESS ] || printf '%s\n' "$out"
  elif [[ $out != *'does not exist'* ]]; then
    printf '%s\n' "$out" >&2
    exit 1
  fi
}

# stack_output KEY prints the stack's output KEY ("None" when it has none).
stack_output() {
  aws cloudformation describe-stacks --stack-name "$STACK" --region "$REGION" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

# saved_overrides prints the parameter overrides samconfig.toml keeps for CONFIG_ENV, unescaped:
# one TOML string of Key="value" pairs in [<env>.deploy.parameters], as sam deploy --guided
# writes it. sam deploy reads them itself unless --parameter-overrides is given, which replaces
# them whole: a deploy that must set PublicBaseUrl passes them again, then its own value, which
# wins (sam keeps the last value of a key).
saved_overrides() {
  local section value
  section=$(sed -n "/^\[$CONFIG_ENV\.deploy\.parameters\]/,/^\[/p" samconfig.toml 2>/dev/null)
  grep -q '^parameter_overrides *=' <<<"$section" || return 0
  if ! value=$(sed -n 's/^parameter_overrides *= *"\(.*\)" *$/\1/p' <<<"$section") || [ -z "$value" ]; then
    echo "make deploy: samconfig.toml [$CONFIG_ENV.deploy.parameters] parameter_overrides is not one string of Key=\"value\" pairs (what sam deploy --guided writes)" >&2
    exit 1
  fi
  sed 's/\\"/"/g; s/\\\\/\\/g' <<<"$value"
}

# explicit_url OVERRIDES prints the PublicBaseUrl the overrides set, if they set a non-empty one:
# the operator's choice, which this script never overrides.
explicit_url() {
  { grep -oE '(^| )PublicBaseUrl=("[^"]*"|[^ "]+)' <<<"$1" || true; } | tail -n1 | sed 's/^ *PublicBaseUrl=//; s/^"//; s/"$//'
}

deploy() {
  sam deploy --config-env "$CONFIG_ENV" --stack-name "$STACK" --region "$REGION" --no-fail-on-empty-changeset "$@"
}

# deploy_with_url URL deploys with PublicBaseUrl=URL after the saved overrides.
deploy_with_url() {
  local saved
  saved=$(saved_overrides)
  deploy --parameter-overrides ${saved:+"$saved"} "PublicBaseUrl=$1"
}

status=$(stack_status)
case $status in
  ROLLBACK_COMPLETE | ROLLBACK_FAILED)
    echo "make deploy: stack $STACK ($REGION) is $status: its creation failed and nothing of it can be updated." >&2
    echo "Read why in its events (aws cloudformation describe-stack-events --stack-name $STACK --region $REGION)," >&2
    echo "delete it (sam delete --stack-name $STACK --region $REGION) and run make deploy again." >&2
    exit 1 ;;
esac

saved=$(saved_overrides)
explicit=$(explicit_url "$saved")
current=
[ -z "$status" ] || current=$(stack_output SiteUrl)
if [ -z "$status" ] && [ "$GUIDED" != no ]; then
  # First deploy: sam asks for the settings (docs/deploy.md explains each prompt) and saves
  # them in samconfig.toml. The stack name and region it proposes are STACK and REGION.
  deploy --guided
elif [ -z "$explicit" ] && [ -n "$current" ] && [ "$current" != None ]; then
  # Keep the origin the stack already links to: the saved overrides may hold an empty
  # PublicBaseUrl (guided saves every parameter), which would bring the placeholder back. The
  # check below catches a SiteUrl this deploy changes (a new DomainName).
  deploy_with_url "$current"
else
  deploy
fi

if [ -z "$(stack_status)" ]; then
  echo "make deploy: stack $STACK is not in $REGION after sam deploy: if the guided deploy saved another stack name or region, run make deploy STACK=<name> REGION=<region>" >&2
  exit 1
fi
site=$(stack_output SiteUrl)
public=$(stack_output PublicBaseUrl)
if [ "$public" != "$site" ]; then
  if [ -n "$explicit" ]; then
    echo "make deploy: note: links use PublicBaseUrl=$explicit (samconfig.toml), the site is $site" >&2
  else
    echo "make deploy: the functions link to $public, the site is $site: deploying again with PublicBaseUrl=$site"
    deploy_with_url "$site"
    public=$(stack_output PublicBaseUrl)
    if [ "$public" != "$site" ]; then
      echo "make deploy: PublicBaseUrl is still $public, not $site (was the change set declined?)" >&2
      exit 1
    fi
  fi
fi
