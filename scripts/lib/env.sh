# Sourced by the project's scripts. load_env_file FILE exports every VAR=value line of FILE
# whose variable is not set already, so a variable given on the command line
# (`SMTP_URL=smtp://… pnpm dev`) wins over the file (.infra/env).
load_env_file() {
  local file="$1" line key value
  [ -f "$file" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in '' | '#'*) continue ;; esac
    key="${line%%=*}"
    value="${line#*=}"
    [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    [ -n "${!key+set}" ] || export "$key=$value"
  done <"$file"
}

# ensure_pnpm: installs the pnpm version named by package.json's packageManager with npm
# when it is missing or another version (n.b. npm, not corepack: corepack does not work on
# these machines).
ensure_pnpm() {
  local wanted current
  wanted="$(node -p "require('./package.json').packageManager.replace(/^pnpm@/, '').split('+')[0]")"
  current="$(pnpm --version 2>/dev/null || true)"
  if [ "$current" != "$wanted" ]; then
    echo "installing pnpm $wanted with npm (found: ${current:-none})"
    npm install -g --no-fund --no-audit "pnpm@$wanted"
    hash -r
  fi
}
