#!/usr/bin/env bash
# tests/deploy/nginx-conf.sh DIR UPSTREAM HTTP_PORT HTTPS_PORT WEBROOT
# Writes into DIR a throwaway self-signed certificate, deploy/nginx.conf
# adapted to loopback (listen ports, upstream node, web root, certificate),
# and DIR/nginx.conf, a main config that includes it and keeps every file
# nginx writes in DIR. Then: nginx -t -c DIR/nginx.conf (or -g 'daemon off;').
set -euo pipefail
dir=${1:?usage: nginx-conf.sh DIR UPSTREAM HTTP_PORT HTTPS_PORT WEBROOT}
upstream=${2:?} http_port=${3:?} https_port=${4:?} webroot=${5:?}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mkdir -p "$dir/tmp"
dir=$(cd "$dir" && pwd)

if [ ! -f "$dir/cert.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
        -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
fi

sed -e "s#/etc/letsencrypt/live/convene.example.org/fullchain.pem#$dir/cert.pem#" \
    -e "s#/etc/letsencrypt/live/convene.example.org/privkey.pem#$dir/key.pem#" \
    -e "s#^\( *\)listen 80;#\1listen 127.0.0.1:$http_port;#" \
    -e "s#^\( *\)listen 443 ssl http2;#\1listen 127.0.0.1:$https_port ssl http2;#" \
    -e '/listen \[::\]/d' \
    -e "s#server 127.0.0.1:8080 #server $upstream #" \
    -e "s#/usr/share/convene/web#$webroot#" \
    "$here/deploy/nginx.conf" >"$dir/site.conf"
# The substitutions must all have happened, or the test checks another site.
for want in "$dir/cert.pem" "listen 127.0.0.1:$https_port ssl http2" "server $upstream " "root $webroot"; do
    grep -qF "$want" "$dir/site.conf" || { echo "nginx-conf.sh: could not adapt deploy/nginx.conf ($want)" >&2; exit 1; }
done

cat >"$dir/nginx.conf" <<CONF
# Throwaway main config for tests (tests/deploy/nginx-conf.sh).
user $(id -un);
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log info;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $dir/access.log;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    include $dir/site.conf;
}
CONF
