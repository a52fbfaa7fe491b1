# syntax=docker/dockerfile:1
# The kevgate container action: a static musl binary on an empty image.
# CA roots are compiled into the binary (webpki-roots), so the runtime needs no files.

# Build stage: pinned Rust toolchain (rust-toolchain.toml names the same version).
FROM rust:1.95.0-alpine3.22 AS build
# musl-dev for the static link; no OpenSSL (rustls with ring).
RUN apk add --no-cache musl-dev=~1.2
WORKDIR /src
COPY . .
RUN cargo build --release --locked --target x86_64-unknown-linux-musl --bin kevgate \
 && cp target/x86_64-unknown-linux-musl/release/kevgate /kevgate

# Runtime: nothing but the binary, as a non-root user (distroless "nonroot" uid/gid).
FROM scratch
COPY --from=build /kevgate /kevgate
USER 65532:65532
ENTRYPOINT ["/kevgate"]
