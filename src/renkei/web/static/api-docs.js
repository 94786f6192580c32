// /api/docs: Swagger UI over the site's own OpenAPI document. Served from /static (the CSP allows no
// inline script and no other origin), with the online validator badge turned off: nothing leaves the site.
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    validatorUrl: null,
    deepLinking: false,  // a deep link inside each operation button would nest interactive content
    tryItOutEnabled: false,
  });
});
