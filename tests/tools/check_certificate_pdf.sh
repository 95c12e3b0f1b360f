#!/usr/bin/env bash
# check_certificate_pdf.sh - reads certificates back with other programs:
# for each of four names (Hangul, Thai, Devanagari, Vietnamese) the renderer
# (src/formats/certificate.c, through tests/tools/render_certificate.c)
# writes a PDF; pdftotext must find the name intact, pdftoppm renders the
# page to a PNG kept in ARTIFACT_DIR, and zbarimg must decode the QR code to
# the verification URL. Also with an SVG and a PNG logo.
#
#   check_certificate_pdf.sh RENDER_CERTIFICATE ARTIFACT_DIR
set -euo pipefail

render=$1
out=$2
mkdir -p "$out"
for tool in pdftotext pdftoppm zbarimg; do
    command -v "$tool" >/dev/null || {
        echo "missing $tool: deploy/deps.sh --test installs poppler-utils and zbar-tools" >&2
        exit 1
    }
done

fail=0
url_base="http://127.0.0.1:8080/certificates/verify.html?code="
names=("김민준" "สมชาย ใจดี" "अमित शर्मा" "Nguyễn Thị Lan")
files=(hangul thai devanagari vietnamese)
svg="$out/logo.svg"
cat >"$svg" <<'SVG'
<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="240" height="64" viewBox="0 0 240 64">
  <rect x="0" y="0" width="64" height="64" rx="12" fill="#0b4f6c"/>
  <circle cx="32" cy="32" r="18" fill="#c9a227"/>
  <text x="76" y="42" font-family="Noto Sans" font-size="30" fill="#0b4f6c">CityNet</text>
</svg>
SVG
for i in "${!names[@]}"; do
    name=${names[$i]}
    f=$out/certificate-${files[$i]}
    # A code like the server's: 32 hex digits (128 bits).
    code=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    url="$url_base$code"
    logo=""
    [[ $i == 0 ]] && logo=$svg
    "$render" "$f.pdf" "$name" "$url" "$logo"
    text=$(pdftotext -enc UTF-8 "$f.pdf" -)
    if grep -qF -- "$name" <<<"$text"; then
        echo "ok: pdftotext finds $name"
    else
        echo "FAIL: pdftotext does not find $name in:" >&2
        echo "$text" >&2
        fail=1
    fi
    pdftoppm -png -r 110 -singlefile "$f.pdf" "$f"
    [[ -s $f.png ]] || {
        echo "FAIL: pdftoppm wrote no $f.png" >&2
        fail=1
    }
    decoded=$(zbarimg -q --raw "$f.png" 2>/dev/null || true)
    if [[ $decoded == "$url" ]]; then
        echo "ok: the QR code of $name decodes to $url"
    else
        echo "FAIL: the QR code decodes to \"$decoded\", expected \"$url\"" >&2
        fail=1
    fi
done
echo "artifacts: $out/*.png"
exit $fail
