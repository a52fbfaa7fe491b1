# The kevgate container action: a static musl binary on an empty image.
# CA roots are compiled into the binary (webpki-roots), so the runtime needs no files.
#
# Two ways to get the binary, chosen with the KEVGATE_FROM build argument:
#   build     (default) compile it here, in the pinned Rust image: `docker build .`
#   prebuilt  copy a binary built outside, from the build context: release.yml builds one per
#             architecture (`kevgate-amd64`, `kevgate-arm64`, picked by TARGETARCH) and
#             scripts/container-image.sh one for the tests, so neither compiles Rust in here
#             nor pulls anything (the runtime stage is `FROM scratch`).
ARG KEVGATE_FROM=build

# Build stage: the Rust toolchain rust-toolchain.toml names, pinned by digest (the tag is for
# the reader; the digest is what is pulled).
FROM docker.io/library/rust:1.95.0-alpine3.22@sha256:064dfc925d68d1a63f4fd2871bd7dc6e6ea56692989a487185855d62885d90aa AS build
# musl-dev for the static link, make for jemalloc's C (the global allocator); no OpenSSL
# (rustls with ring).
RUN apk add --no-cache musl-dev=~1.2 make=~4.4
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin kevgate \
 && cp target/release/kevgate /kevgate

# A binary built outside the image (static, musl) for the architecture being built.
FROM scratch AS prebuilt
ARG TARGETARCH
ARG KEVGATE_BINARY=kevgate-${TARGETARCH}
COPY ${KEVGATE_BINARY} /kevgate

FROM ${KEVGATE_FROM} AS binary

# Runtime: nothing but the binary. It runs as root, the image's default user, on purpose:
# GitHub runs container actions with the workspace and the file-command files
# (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) owned by the runner's user (uid 1001) and not
# writable by others, and its docs require Docker actions to run as the default user
# (docs/github-action.md, "Why root"; tests/it/container.rs proves a non-root uid fails).
FROM scratch AS runtime
COPY --from=binary /kevgate /kevgate
ENTRYPOINT ["/kevgate"]
