export const STATUS_PAGE = '<html></html>';
