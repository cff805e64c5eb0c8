// The Image document is part of the HTTP contract (PUT /v1/images/:name); its schema lives in @buildfleet/contract.
export {
  Image,
  IMAGE_KIND,
  IMAGE_NAME_EXAMPLE,
  MAX_DECLARED_BASES,
  DEFAULT_SETTLE_SECONDS,
  MAX_SETTLE_SECONDS,
  imageNameProblem,
  validateImage,
  parseImage,
  readableDockerfile,
} from "@buildfleet/contract";
export type { ImageInput, ImageValidation } from "@buildfleet/contract";
