/*
 * render_certificate.c - writes one certificate PDF with the renderer of
 * src/formats/certificate.c, for tests/tools/check_certificate_pdf.sh
 * (pdftotext, pdftoppm, zbarimg) and the benchmark's time to render one.
 *
 *   render_certificate OUT.pdf NAME URL [LOGO] [REPEAT]
 *
 * REPEAT renders that many times (the last one is written) and prints the
 * mean milliseconds per certificate on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/util.h"
#include "formats/certificate.h"

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    strbuf b;
    strbuf_init(&b, CERTIFICATE_LOGO_MAX);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_append(&b, chunk, n);
    fclose(f);
    return (unsigned char *)strbuf_detach(&b, len);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s OUT.pdf NAME URL [LOGO] [REPEAT]\n", argv[0]);
        return 2;
    }
    struct certificate_layout l = {.primary_colour = "#0b4f6c",
                                   .accent_colour = "#c9a227",
                                   .signatory_name = "Vijay Jagannathan",
                                   .signatory_title = "Secretary General, CityNet",
                                   .text = "took part in"};
    size_t logo_len = 0;
    unsigned char *logo = NULL;
    if (argc > 4 && argv[4][0] != '\0') {
        logo = slurp(argv[4], &logo_len);
        if (logo == NULL) {
            fprintf(stderr, "cannot read %s\n", argv[4]);
            return 1;
        }
        l.logo = logo;
        l.logo_len = logo_len;
    }
    int repeat = argc > 5 ? atoi(argv[5]) : 1;
    if (repeat < 1)
        repeat = 1;
    struct certificate_content c = {.participant_name = argv[2],
                                    .activity_title =
                                        "SDG Online Course: Climate-Resilient Urban Water Systems",
                                    .dates_label = "22-24 May 2031",
                                    .host = "Seoul Metropolitan Government",
                                    .number = "2031-00042",
                                    .issued_on = "25 May 2031",
                                    .verify_url = argv[3]};
    strbuf out;
    strbuf_init(&out, 0);
    char err[256];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < repeat; i++) {
        strbuf_reset(&out);
        if (certificate_render(&c, &l, &out, err, sizeof err) != 0) {
            fprintf(stderr, "render failed: %s\n", err);
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (repeat > 1)
        printf("%.2f\n",
               ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / repeat);
    FILE *f = fopen(argv[1], "wb");
    if (f == NULL || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", argv[1]);
        return 1;
    }
    strbuf_free(&out);
    free(logo);
    return 0;
}
