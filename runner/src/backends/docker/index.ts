/** The docker execution backend: instances as containers on a Docker host, through the Engine API. */
export { DockerBackend, type DockerBackendOptions } from "./docker-backend.ts";
export { DockerInstance } from "./docker-instance.ts";
export { dockerEndpoint } from "./docker-connection.ts";
export { LABEL } from "./container-spec.ts";
