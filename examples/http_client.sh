#!/usr/bin/env bash
# A casework system that is not written in Python, talking to `ethical-decisions serve` over HTTP.
#
# Written from the OpenAPI document alone (GET /openapi.json, also docs/openapi.json): curl and jq,
# nothing else. It walks one review through the model: a proposed decision, a concern, discretion,
# a discussion, escalation to the business area's route, the route's advice, the response to it, the final
# decision.
# Every step sends the review's ETag back as If-Match, so a step taken on a stale copy is refused
# (412, an RFC 9457 problem document) instead of recorded.
#
#   ethical-decisions serve &            # on 127.0.0.1:8000, with the development sign-in
#   bash examples/http_client.sh http://127.0.0.1:8000
#
# The development sign-in (operation dev_sign_in) exists only on a loopback address; a deployment
# signs people in its own way (see docs/web.md) and this script would send its credentials instead.
set -euo pipefail

base="${1:-http://127.0.0.1:8000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The operations this client uses, checked against the service's OpenAPI document first.
curl -sf "$base/openapi.json" >"$work/openapi.json"
for operation in dev_sign_in open_review review_reflection review_discretion review_discussions \
  review_escalations queue referral_acknowledgement referral_advice referral_advice_response review_final_decision verify; do
  jq -e --arg op "$operation" '[.paths[][] | .operationId] | index($op)' "$work/openapi.json" >/dev/null \
    || { echo "the service does not offer $operation" >&2; exit 1; }
done
echo "the OpenAPI document ($(jq -r '.openapi' "$work/openapi.json")) offers every operation used"

# call JAR METHOD PATH [BODY [IF_MATCH]]: prints the body; the status and ETag go to files.
call() {
  local jar="$1" method="$2" path="$3" body="${4:-}" match="${5:-}"
  local args=(-s -b "$work/$jar" -c "$work/$jar" -X "$method" -D "$work/headers" -o "$work/body"
    -w '%{http_code}' -H 'Accept: application/json')
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data "$body")
  [ -n "$match" ] && args+=(-H "If-Match: $match")
  curl "${args[@]}" "$base$path" >"$work/status"
  tr -d '\r' <"$work/headers" | sed -n 's/^[Ee][Tt][Aa][Gg]: //p' >"$work/etag"
  cat "$work/body"
}
status() { cat "$work/status"; }
etag() { cat "$work/etag"; }
expect() {
  if [ "$(status)" != "$1" ]; then
    echo "expected $1, got $(status): $(jq -r '.detail // .' "$work/body")" >&2
    exit 1
  fi
}

call dm POST /api/dev/sign-in '{"kind": "decision_maker", "staff_id": "cw-0042", "role": "caseworker",
  "business_area": "customer_services_group", "team": "Settlement Casework"}' >/dev/null
expect 200

review=$(call dm POST /api/reviews '{"case": {"reference": "CSG-2026-000123"},
  "proposed": {"outcome": "refuse", "summary": "Refuse: no evidence of residence since 1973."}}' | jq -r .review_id)
expect 201
echo "opened $review (ETag $(etag))"

call dm POST "/api/reviews/$review/reflection" '{"concerns": [{"category": "evidential_burden",
  "statement": "We hold records that may show the residence she cannot."}]}' "$(etag)" >/dev/null
expect 200
first=$(etag)
call dm POST "/api/reviews/$review/discretion" '{"concern_id": "C1", "scope": "inside_rules",
  "guidance": "Evidential flexibility", "reason": "It does not reach our own records.",
  "result": "not_resolved"}' "$(etag)" >/dev/null
expect 200
call dm POST "/api/reviews/$review/discussions" '{"concern_id": "C1", "consulted_role": "technical_specialist",
  "consulted": "ts-0007", "advice": "Escalate it.", "result": "not_resolved"}' "$(etag)" >/dev/null
expect 200

# A step sent with an older ETag is refused, and nothing is recorded.
call dm POST "/api/reviews/$review/escalations" '{"concern_ids": ["C1"], "question": "Stale?"}' "$first" >/dev/null
expect 412
echo "stale If-Match refused: $(status) $(jq -r .error "$work/body")"

call dm GET "/api/reviews/$review" >/dev/null
route=$(call dm POST "/api/reviews/$review/escalations" '{"concern_ids": ["C1"],
  "question": "May we rely on our own records of her residence?"}' "$(etag)" | jq -r '.referrals[0].route_id')
expect 200
echo "escalated to $route: stage $(jq -r .stage "$work/body")"

call team POST /api/dev/sign-in "{\"kind\": \"route_team_member\", \"staff_id\": \"rt-0007\",
  \"route_id\": \"$route\"}" >/dev/null
expect 200
referral=$(call team GET /api/referrals | jq -r '.[0].referral_id')
expect 200
echo "the route's queue: $referral"
call team POST "/api/referrals/$referral/acknowledgement" >/dev/null
expect 200
call team POST "/api/referrals/$referral/advice" '{"advice": "Search the records and rely on them."}' \
  "$(etag)" >/dev/null
expect 200
echo "advice given: $(jq -r .status "$work/body")"

call dm GET "/api/reviews/$review" >/dev/null
echo "stage: $(jq -r .stage "$work/body")"
call dm POST "/api/referrals/$referral/advice-response" '{"concern_id": "C1", "response": "followed",
  "reason": "Our own HMRC records show the residence.", "resolved": true}' "$(etag)" >/dev/null
expect 200
echo "advice followed: concern C1 $(jq -r '.concerns[0].status' "$work/body")"
call dm POST "/api/reviews/$review/final-decision" '{"decision": {"outcome": "grant",
  "summary": "Grant indefinite leave.", "rationale": "Our own records establish the residence."}}' \
  "$(etag)" >/dev/null
expect 200
echo "closed: $(jq -r .outcome_class "$work/body"), decision changed: $(jq -r .decision_changed "$work/body")"

call dm GET /api/verify >/dev/null
expect 200
echo "audit chain: $(jq -r .message "$work/body" | cut -d';' -f1)"
