#!/usr/bin/env bash
# `npm run demo`: installs what is missing, compiles the serving plan (skipped when dbt is unchanged), then runs the deployed DailyPipeline
# definition locally for three consecutive days at small scale and says where everything is.
# Environment: DEFTUNES_DEMO_DIR (default data/demo), DEFTUNES_DEMO_SCALE (default small),
# DEFTUNES_DEMO_FROM / DEFTUNES_DEMO_TO (default 2020-02-01 .. 2020-02-03).
set -euo pipefail
cd "$(dirname "$0")/.."
bash bin/setup.sh
node_modules/.bin/tsx bin/build-serving-plan.ts
data_dir=${DEFTUNES_DEMO_DIR:-data/demo}
node bin/deftunes.cjs run \
  --from "${DEFTUNES_DEMO_FROM:-2020-02-01}" --to "${DEFTUNES_DEMO_TO:-2020-02-03}" \
  --scale "${DEFTUNES_DEMO_SCALE:-small}" --data-dir "$data_dir"
cat <<MSG

Next:
  npx deftunes query --data-dir $data_dir "select * from sales_per_country_vw order by total_sales desc limit 10"
  open $data_dir/serving/dashboard.html in a browser
  the run log (JSON lines of every handler, notifications): $data_dir/run.log
MSG
